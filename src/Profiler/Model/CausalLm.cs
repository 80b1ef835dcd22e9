using GaLore.Kernels.Native;
using GaLore.Planner.Adapters;
using GaLore.Planner.Runtime;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Profiler.Model.Families;
using GaLore.Profiler.Model.Parts;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// A causal LM (HF's <c>*ForCausalLM</c>) built from the planner's <see cref="ModelLayout"/>: every parameter is created
/// from the layout's table (its HF name, shape and order), and every part is built by the family's
/// <see cref="FamilyTwin"/> from the part's design and role-bound parameters — so its tensors are allocated, saved and
/// freed as the planner's op graphs for the <c>torchsharp</c> runtime say, and measured peaks can be compared with the
/// planner's predictions. Nothing here re-derives the layout.
/// </summary>
/// <remarks>
/// Use: <c>using var model = CausalLm.Create(config, new ModelOptions { Precision = Precision.Parse("bf16") });</c>
/// then per step <c>using var loss = model.forward(ids, CausalLm.ShiftedTargets(ids)); loss.backward();
/// model.AfterBackward();</c>. For layerwise updates set <see cref="ParameterTap"/> and call <see cref="FreezeForTap"/>.
/// </remarks>
public sealed class CausalLm : IDisposable
{
    readonly ModelParameter[] parameters;
    readonly EmbeddingPart embedding;
    readonly BlockPart[] blocks;
    readonly HeadPart head;
    readonly Parameter[] sharedParameters;
    readonly PeftModel? peft;

    CausalLm(ModelConfig config, ModelOptions options)
    {
        Config = config.Validate();
        Options = options;
        DTypes = ModelDTypes.For(options.Precision);
        Device = torch.device(options.Device);
        var twin = FamilyTwins.Of(config.Family);
        // Under peft: the wrapped layout (the planner's AdapterTransform), a frozen (maybe 4-bit) base and float32 adapters.
        var adapted = options.Adapters is { } a
            ? AdapterTransform.Apply(config.Layout(), a, RuntimeProfile.TorchSharpKernels.FourBitDequantScratchBytes)
            : null;
        Layout = adapted?.Layout ?? config.Layout();
        using (var init = new Generator((ulong)options.Seed))
        {
            if (adapted is not null) (peft, parameters) = PeftModel.Create(adapted, twin, DTypes, Device, init, options.InitStd, config);
            else
            {
                parameters = new ModelParameter[Layout.Parameters.Count];
                for (int k = 0; k < parameters.Length; k++)
                {
                    var t = Layout.Parameters[k];
                    var value = twin.InitialValue(t, DTypes.Weight, Device, init, options.InitStd, config);
                    parameters[k] = new ModelParameter(t.Name, t, new Parameter(value));
                }
            }
        }
        var tensors = parameters.Select(p => p.Tensor).ToArray();
        var parts = Layout.Parts.Select(part => twin.Create(part, new PartParameters(part, tensors), config, options)).ToList();
        embedding = parts.OfType<EmbeddingPart>().Single();
        blocks = parts.OfType<BlockPart>().ToArray();
        head = parts.OfType<HeadPart>().Single();
        var uses = Layout.UsesPerParameter();
        sharedParameters = tensors.Where((_, k) => uses[k] > 1).ToArray();
    }

    /// <summary>Builds a model with seeded weights. Loads TorchSharp's natives first.</summary>
    public static CausalLm Create(ModelConfig config, ModelOptions? options = null)
    {
        TorchNativeLoader.EnsureLoaded();
        return new CausalLm(config, options ?? new ModelOptions());
    }

    public ModelConfig Config { get; }
    public ModelOptions Options { get; }
    public ModelDTypes DTypes { get; }
    public Device Device { get; }

    /// <summary>The layout the model was built from.</summary>
    public ModelLayout Layout { get; }

    /// <summary>Every parameter with its HF name and planner entry, in the layout's table order (a tied weight once).</summary>
    public IReadOnlyList<ModelParameter> NamedParameters => parameters;

    /// <summary>
    /// Applied to every parameter in every forward that records autograd (weights, biases, norms, embedding; a parameter
    /// several parts read — the tied lm_head — is tapped once, so its gradients add up before the tap's backward runs).
    /// The layerwise updater's <c>Tap</c> returns an autograd-tracked alias whose backward applies the update. Null
    /// (default): parameters are used directly.
    /// </summary>
    public Func<Tensor, Tensor>? ParameterTap { get; set; }

    /// <summary>
    /// Diagnostics: called with a label after each op of forward and at the start and end of custom backward
    /// functions, e.g. to sample resident memory for a measured timeline. Null (default): no calls.
    /// </summary>
    public Action<string>? Probe { get; set; }

    /// <summary>Sets requires_grad = false on every trainable parameter, for the layerwise mode in which gradients
    /// reach the tap instead of <c>.grad</c> (a peft model's frozen base is frozen already and never tapped).</summary>
    public void FreezeForTap()
    {
        foreach (var p in parameters)
            if (p.Trainable) p.Tensor.requires_grad = false;
    }

    /// <summary>Sets every parameter's gradient to None (<c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGradToNone()
    {
        foreach (var p in parameters) p.Tensor.grad = null;
    }

    /// <summary>Call after <c>loss.backward()</c>: releases the gradient handles custom functions returned.</summary>
    public void AfterBackward() => GradientHandoff.Flush();

    /// <summary>Next-token targets: ids shifted left by one, the last position −100 (ignored by <c>nll_loss</c>).</summary>
    public static Tensor ShiftedTargets(Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        long t = ids.shape[1];
        var targets = torch.full_like(ids, -100);
        targets.narrow(1, 0, t - 1).copy_(ids.narrow(1, 1, t - 1));
        return targets.MoveToOuterDisposeScope();
    }

    /// <summary>Mean next-token cross-entropy of ids (B, T) against targets (B, T) (−100 = ignored); a float32 scalar in the
    /// caller's dispose scope.</summary>
    public Tensor forward(Tensor ids, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        GradientHandoff.Flush();
        long b = ids.shape[0], t = ids.shape[1];
        using var tables = embedding.Tables(b, t, DTypes, Options, Device);
        var shared = new Dictionary<IntPtr, Tensor>();
        var plain = new ForwardContext(DTypes, Options.Attention, tables, ParameterTap, Probe, peft: peft);
        foreach (var p in sharedParameters) shared[p.Handle] = plain.Use(p);   // tapped once for every part that reads it
        var ctx = new ForwardContext(DTypes, Options.Attention, tables, ParameterTap, Probe, shared, peft);
        var h = embedding.Forward(ids.to(Device), ctx);                       // (B, T, h) residual dtype
        ctx.At("embedding");
        bool checkpoint = Options.Checkpointing && torch.is_grad_enabled();
        // peft with gradient checkpointing calls enable_input_require_grads: the frozen embedding's output requires grad,
        // so the (reentrant) checkpoint of the first block runs and its adapters get gradients.
        if (peft is not null && checkpoint && !h.requires_grad) h.requires_grad_(true);
        foreach (var block in blocks)
        {
            var next = checkpoint && h.requires_grad ? BlockCheckpointFunction.Run(block, h, ctx) : block.Forward(h, ctx);
            h.Dispose();
            h = next;
        }
        var loss = head.Loss(h, targets.to(Device), ctx);                     // consumes h
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Disposes every parameter (and the buffers parts hold, such as GPT-2's causal masks).</summary>
    public void Dispose()
    {
        foreach (var p in parameters) p.Tensor.Dispose();
        foreach (var b in blocks) (b as IDisposable)?.Dispose();
        peft?.Dispose();
    }
}
