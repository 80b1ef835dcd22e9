using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// <c>sgd</c> → <c>torch.optim.SGD</c> with <c>lr</c> and every <c>optim_args</c> key (Hugging Face's
/// <c>_get_sgd</c>, values through <c>ast.literal_eval</c>). With torch's default <c>momentum=0</c> SGD keeps no state at
/// all; with momentum it keeps <c>momentum_buffer</c> = <c>torch.clone(grad)</c> at the first step (the gradient's dtype,
/// full size). Weight decay comes from HF's parameter groups (<c>args.weight_decay</c>, 0 by default).
/// </summary>
public sealed class SgdModel : OptimizerModel
{
    /// <summary>Momentum μ (a state exists when μ &gt; 0).</summary>
    public static readonly OptimizerKnob Momentum = new("momentum", "0", "heavy-ball momentum; > 0 adds a full-size momentum_buffer", true) { Min = 0 };

    /// <summary>Dampening of the momentum's gradient term.</summary>
    public static readonly OptimizerKnob Dampening = new("dampening", "0", "dampening of the gradient added to the momentum", false) { Min = 0, Max = 1 };

    /// <summary>Nesterov momentum.</summary>
    public static readonly OptimizerKnob Nesterov = new("nesterov", "false", "Nesterov momentum: one gradient-sized temporary per step", true, KnobKind.Flag);

    public override string Id => "sgd";
    public override string Library => "torch.optim.SGD";
    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [Momentum, Dampening, Nesterov, TorchForeach.Knob];
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.GradientBytes);

    static bool HasMomentum(OptimizerSetup s) => s.Knobs.Number(Momentum) > 0;

    static bool IsNesterov(OptimizerSetup s) => s.Knobs.Text(Nesterov) == "true";

    public override void Check(OptimizerSetup setup)
    {
        if (IsNesterov(setup) && (!HasMomentum(setup) || setup.Knobs.Number(Dampening) != 0))
            throw new PlannerInputException("sgd: Nesterov momentum requires a momentum and zero dampening (torch.optim.SGD raises)");
    }

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        if (HasMomentum(setup)) states.Add(new StateTensor("momentum_buffer", shape.Elements, ComputeType(precision)));
    }

    /// <summary>torch's SGD updates in place (<c>_multi_tensor_sgd</c>: Nesterov is
    /// <c>torch._foreach_add_(device_grads, bufs, alpha=momentum)</c>, into the gradients); only the single-tensor path
    /// (<c>foreach=False</c>) makes Nesterov's step <c>d_p.add(buf, alpha=momentum)</c>, a gradient-sized temporary.</summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) =>
        IsNesterov(u.Setup) && !TorchForeach.On(u.Setup) ? u.Elements * u.GradBytes : 0;

    /// <summary>This project's SGD (<c>src/Kernels/Optimizers/Rules/SgdRule.cs</c>) runs the single-tensor path: Nesterov's
    /// step is a gradient-sized temporary.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u) => IsNesterov(u.Setup) ? u.Elements * u.GradBytes : 0;

    public override bool HasTorchSharpKernel => true;

    public override bool PyTorchStepsAllAtOnce(OptimizerSetup setup) => TorchForeach.On(setup);
}
