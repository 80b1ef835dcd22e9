using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// LOMO and AdaLomo (Lv et al. 2023, arXiv 2306.09782 and 2310.10195; <c>lomo_optim</c> 0.1.1): the update is fused into
/// backward. The constructor registers <c>p.register_hook(grad_func)</c> on every trainable parameter; each hook call
/// updates the parameters whose <c>.grad</c> is populated and sets it to None, and <c>fused_backward</c> calls it once more
/// after <c>loss.backward()</c>. So no gradient buffer for the model exists and there is no <c>optimizer.step()</c>
/// (the planner steps these like layerwise updates). Hugging Face passes <c>lr</c> and the model only.
/// <list type="bullet">
/// <item>LOMO: no state (SGD, <c>p -= lr·g</c>).</item>
/// <item>AdaLomo: Adafactor's factored second moment in float32 — <c>exp_avg_sq_row</c> [rows] and <c>exp_avg_sq_col</c>
/// [cols] for a matrix, <c>exp_avg_sq</c> [rows] for a vector — allocated in the constructor for every named parameter.</item>
/// </list>
/// A parameter's update runs when the <em>next</em> gradient's hook fires, so one more gradient than in HF's layerwise
/// updates can be alive for a moment; the planner updates each parameter as its gradient completes.
/// </summary>
/// <param name="adaptive">AdaLomo rather than LOMO.</param>
public sealed class LomoModel(bool adaptive) : OptimizerModel
{
    public override string Id => adaptive ? "adalomo" : "lomo";
    public override string Library => adaptive ? "lomo_optim.AdaLomo (update fused into backward)" : "lomo_optim.Lomo (update fused into backward)";
    public override DType ComputeType(Precision precision) => adaptive ? DType.Float32 : DTypes.FloatOfBytes(precision.GradientBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        if (!adaptive) return;
        if (shape.IsMatrix)
        {
            states.Add(new StateTensor("exp_avg_sq_row", shape.Rows, DType.Float32));
            states.Add(new StateTensor("exp_avg_sq_col", shape.Cols, DType.Float32));
        }
        else states.Add(new StateTensor("exp_avg_sq", shape.Rows, DType.Float32));
    }

    /// <summary>
    /// Inside the hook, per parameter (float32 n = 4n bytes). LOMO: <c>grad_fp32 = p.grad.to(float32)</c> and
    /// <c>p_fp32 = p.data.to(float32)</c> — copies only when 16-bit, so 8n then, 0 for float32. AdaLomo: <c>grad_fp32</c>,
    /// <c>update = grad_fp32**2 + eps</c> (two float32 tensors for a moment), the factored estimate made while the old
    /// <c>update</c> is alive, then <c>p_fp32</c>: 12n for 16-bit, 8n for float32. In the 16-bit case <c>p.grad = None</c>
    /// frees the gradient right after its float32 copy, so that gradient's bytes are taken off here (the planner frees the
    /// gradient after the update).
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u)
    {
        long n = u.Elements;
        bool upcast = u.GradBytes != 4;
        if (!adaptive) return upcast ? 8 * n - n * u.GradBytes : 0;
        return upcast ? 12 * n - n * u.GradBytes : 8 * n;
    }

    /// <summary>This project's LOMO (the SGD rule run from the layerwise tap, <c>src/Kernels/Optimizers/Rules/SgdRule.cs</c>):
    /// <c>W.add_(G, −lr)</c> in place, no temporaries.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u) => adaptive ? base.TorchSharpUpdateBytes(u) : 0;

    public override bool HasTorchSharpKernel => !adaptive;

    public override string? Note(OptimizerSetup setup) =>
        $"{Id}: the update is fused into backward (no gradient buffer, no optimizer.step()); gradient accumulation does not apply, " +
        "and clipping by the global norm needs a second backward pass (lomo_optim's grad_norm)";
}
