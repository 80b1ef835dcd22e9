using GaLore.Kernels.Native;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// A Llama-family causal LM (HF's <c>LlamaForCausalLM</c>) built from the planner's <see cref="ModelConfig"/>,
/// whose tensors are allocated, saved and freed as the planner's op graph for the <c>torchsharp</c> runtime
/// (<c>LlamaGraphs</c>, <c>TorchSharpKernelsProfile</c>) says, so that measured peaks can be compared with
/// the planner's predictions.
/// </summary>
/// <remarks>
/// Use: <c>using var model = LlamaModel.Create(config, new ModelOptions { Precision = Precision.Parse("bf16") });</c>
/// then per step <c>using var loss = model.forward(ids, LlamaModel.ShiftedTargets(ids)); loss.backward();
/// model.AfterBackward();</c>. For layerwise updates set <see cref="ParameterTap"/> and call
/// <see cref="FreezeForTap"/>. Parameter names, order and shapes equal <see cref="ParameterTable.Build"/>.
/// </remarks>
public sealed class LlamaModel : nn.Module
{
    [ComponentName(Name = "model")] readonly LlamaDecoder decoder;
    [ComponentName(Name = "lm_head")] readonly Projection? lmHead;
    readonly IReadOnlyList<ModelParameter> described;

    LlamaModel(ModelConfig config, ModelOptions options) : base(nameof(LlamaModel))
    {
        Config = config.Validate();
        Options = options;
        DTypes = ModelDTypes.For(options.Precision);
        Device = torch.device(options.Device);
        using var init = new Generator((ulong)options.Seed);
        decoder = new LlamaDecoder(config, options, DTypes.Weight, Device, init);
        if (!config.TieWordEmbeddings)
            lmHead = new Projection(config.HiddenSize, config.VocabSize, false, DTypes.Weight, Device, init, options.InitStd);
        RegisterComponents();
        described = Describe(config, named_parameters().ToList());
    }

    /// <summary>Builds a model with seeded weights. Loads TorchSharp's natives first.</summary>
    public static LlamaModel Create(ModelConfig config, ModelOptions? options = null)
    {
        TorchNativeLoader.EnsureLoaded();
        return new LlamaModel(config, options ?? new ModelOptions());
    }

    public ModelConfig Config { get; }
    public ModelOptions Options { get; }
    public ModelDTypes DTypes { get; }
    public Device Device { get; }

    /// <summary>HF's <c>model</c> submodule.</summary>
    public LlamaDecoder Decoder => decoder;

    /// <summary>Every parameter with its HF name and planner entry, in <see cref="ParameterTable"/> order
    /// (the tied lm_head is the embedding and is not listed twice).</summary>
    public IReadOnlyList<ModelParameter> NamedParameters => described;

    /// <summary>
    /// Applied to every parameter in every forward that records autograd (weights, biases, norms, embedding;
    /// the tied lm_head reuses the embedding's tapped tensor, so its two gradients add up before the tap's
    /// backward runs). The layerwise updater's <c>Tap</c> returns an autograd-tracked alias whose backward
    /// applies the update. Null (default): parameters are used directly.
    /// </summary>
    public Func<Tensor, Tensor>? ParameterTap { get; set; }

    /// <summary>
    /// Diagnostics: called with a label after each op of forward and at the start and end of custom backward
    /// functions, e.g. to sample resident memory for a measured timeline. Null (default): no calls.
    /// </summary>
    public Action<string>? Probe { get; set; }

    /// <summary>Sets requires_grad = false on every parameter, for the layerwise mode in which gradients
    /// reach the tap instead of <c>.grad</c>.</summary>
    public void FreezeForTap()
    {
        foreach (var p in described) p.Tensor.requires_grad = false;
    }

    /// <summary>Sets every parameter's gradient to None (<c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGradToNone()
    {
        foreach (var p in described) p.Tensor.grad = null;
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

    /// <summary>
    /// Mean next-token cross-entropy of ids (B, T) against targets (B, T) (−100 = ignored):
    /// logits = lm_head(norm(h)); float32 upcast (skipped when already float32); log_softmax; nll_loss.
    /// Returns a float32 scalar in the caller's dispose scope.
    /// </summary>
    public Tensor forward(Tensor ids, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        GradientHandoff.Flush();
        long b = ids.shape[0], t = ids.shape[1];
        var (cos, sin) = Rotary.Tables(b, t, Config.HeadDim, Options.RopeTheta, DTypes.Activation, Device); // (B, T, d) each
        var mask = Options.Attention == AttentionKind.Math ? Attention.CausalMask(t, DTypes.Activation, Device) : null;
        var ctx = new ForwardContext(DTypes, Options.Attention, cos, sin, mask, ParameterTap, Probe);
        var embedding = ctx.Use(decoder.EmbedTokens.Weight);                  // tapped once; reused by a tied lm_head
        var h = Embedding.Lookup(ids.to(Device), embedding);                  // (B, T, h) residual dtype
        ctx.At("embedding");
        bool checkpoint = Options.Checkpointing && torch.is_grad_enabled();
        foreach (var block in decoder.Layers)
        {
            var next = checkpoint && h.requires_grad ? BlockCheckpointFunction.Run(block, h, ctx) : block.forward(h, ctx);
            h.Dispose();
            h = next;
        }
        var normed = decoder.Norm.forward(h, ctx);                            // (B, T, h) activation dtype
        h.Dispose();
        ctx.At("head: norm");
        var logits = lmHead is null
            ? Projection.Apply(normed, embedding, null, DTypes)
            : lmHead.forward(normed, ctx);                                    // (B, T, V) activation dtype
        normed.Dispose();
        ctx.At("head: lm_head");
        var loss = Loss(logits, targets.to(Device), ctx);
        ctx.At("head: loss");
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>logits (B, T, V) → mean NLL; frees each stage as soon as the next exists.</summary>
    static Tensor Loss(Tensor logits, Tensor targets, ForwardContext ctx)
    {
        long v = logits.shape[^1];
        var logits32 = logits.dtype == ScalarType.Float32 ? logits : logits.to(ScalarType.Float32); // (B, T, V) float32
        if (!ReferenceEquals(logits32, logits)) logits.Dispose();
        ctx.At("head: logits float32");
        var logProbs = nn.functional.log_softmax(logits32, -1);                // (B, T, V) float32, saved
        logits32.Dispose();
        ctx.At("head: log_softmax");
        using var flat = logProbs.view(-1, v);
        var loss = nn.functional.nll_loss(flat, targets.reshape(-1));
        logProbs.Dispose();
        return loss;
    }

    static IReadOnlyList<ModelParameter> Describe(ModelConfig config, List<(string Name, Parameter Tensor)> named)
    {
        var table = ParameterTable.Build(config);
        if (table.Count != named.Count)
            throw new InvalidOperationException($"model has {named.Count} parameters, the planner's table {table.Count}");
        var result = new ModelParameter[table.Count];
        for (int k = 0; k < table.Count; k++)
        {
            var (name, tensor) = named[k];
            var entry = table[k];
            long rows = tensor.shape[0], cols = tensor.shape.Length > 1 ? tensor.shape[1] : 1;
            if (name != entry.Name || rows != entry.Rows || cols != entry.Cols)
                throw new InvalidOperationException(
                    $"parameter {k}: model has {name} [{rows}×{cols}], the planner's table {entry.Name} [{entry.Rows}×{entry.Cols}]");
            result[k] = new ModelParameter(name, entry, tensor);
        }
        return result;
    }
}
