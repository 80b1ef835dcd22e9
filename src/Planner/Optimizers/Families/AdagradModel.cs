using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// <c>adagrad</c> → <c>torch.optim.Adagrad</c> (Duchi et al. 2011) with <c>lr</c> and every <c>optim_args</c> key
/// (HF's <c>_get_adagrad</c>). State: <c>sum</c> = <c>torch.full_like(p, initial_accumulator_value)</c> (the parameter's
/// dtype, full size, created in the constructor) and a CPU <c>step</c> scalar.
/// </summary>
public sealed class AdagradModel : OptimizerModel
{
    /// <summary>The knobs HF passes through (none changes the state).</summary>
    public static readonly OptimizerKnob LrDecay = new("lr_decay", "0", "learning-rate decay per step", false) { Min = 0 };

    /// <summary>Initial value of <c>sum</c>.</summary>
    public static readonly OptimizerKnob InitialAccumulator = new("initial_accumulator_value", "0", "initial value of the sum of squares", false) { Min = 0 };

    /// <summary>ε.</summary>
    public static readonly OptimizerKnob Eps = new("eps", "1e-10", "added to the denominator", false) { Min = 0 };

    public override string Id => "adagrad";
    public override string Library => "torch.optim.Adagrad";
    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [LrDecay, InitialAccumulator, Eps, TorchForeach.Knob];
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.WeightBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states) =>
        states.Add(new StateTensor("sum", shape.Elements, ComputeType(precision)));

    /// <summary>
    /// Multi-tensor path (<c>_multi_tensor_adagrad</c>): <c>std = torch._foreach_sqrt(state_sums)</c> and, with zero weight
    /// decay, <c>numerator = torch._foreach_mul(grads, minus_clr)</c> — two parameter-sized lists for the whole group. The
    /// single-tensor path makes one: <c>std = state_sum.sqrt().add_(eps)</c>.
    /// </summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) => (TorchForeach.On(u.Setup) ? 2 : 1) * u.Elements * u.StateBytes;

    /// <summary>This project's Adagrad (<c>src/Kernels/Optimizers/Rules/AdagradRule.cs</c>): <c>std</c> only, then
    /// <c>addcdiv_</c>.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u) => u.Elements * u.StateBytes;

    public override bool HasTorchSharpKernel => true;

    public override bool PyTorchStepsAllAtOnce(OptimizerSetup setup) => TorchForeach.On(setup);
}
