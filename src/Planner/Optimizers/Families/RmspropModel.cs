using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// <c>rmsprop</c> → <c>torch.optim.RMSprop</c> (Hinton's lecture 6e; Graves 2013 for the centered form) with <c>lr</c> and
/// every <c>optim_args</c> key (HF's <c>_get_rmsprop</c>). States, each of the parameter's shape and dtype:
/// <c>square_avg</c>, <c>momentum_buffer</c> when momentum &gt; 0, <c>grad_avg</c> when centered; plus a <c>step</c> scalar.
/// </summary>
public sealed class RmspropModel : OptimizerModel
{
    /// <summary>Smoothing constant α.</summary>
    public static readonly OptimizerKnob Alpha = new("alpha", "0.99", "smoothing constant of the square average", false) { Min = 0, Max = 1 };

    /// <summary>ε.</summary>
    public static readonly OptimizerKnob Eps = new("eps", "1e-08", "added to the denominator", false) { Min = 0 };

    /// <summary>Momentum (a state when &gt; 0).</summary>
    public static readonly OptimizerKnob Momentum = new("momentum", "0", "momentum; > 0 adds a full-size momentum_buffer", true) { Min = 0 };

    /// <summary>Centered RMSprop (a state).</summary>
    public static readonly OptimizerKnob Centered = new("centered", "false", "centered: adds a full-size grad_avg", true, KnobKind.Flag);

    public override string Id => "rmsprop";
    public override string Library => "torch.optim.RMSprop";
    public override IReadOnlyList<OptimizerKnob> Knobs { get; } = [Alpha, Eps, Momentum, Centered, TorchForeach.Knob];
    public override DType ComputeType(Precision precision) => DTypes.FloatOfBytes(precision.WeightBytes);

    public override void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states)
    {
        var t = ComputeType(precision);
        states.Add(new StateTensor("square_avg", shape.Elements, t));
        if (setup.Knobs.Number(Momentum) > 0) states.Add(new StateTensor("momentum_buffer", shape.Elements, t));
        if (setup.Knobs.Text(Centered) == "true") states.Add(new StateTensor("grad_avg", shape.Elements, t));
    }

    /// <summary><c>_multi_tensor_rmsprop</c>: <c>avg = torch._foreach_sqrt(square_avgs)</c> (centered:
    /// <c>torch._foreach_addcmul(square_avgs, grad_avgs, grad_avgs, value=-1)</c>, then square-rooted in place) — one
    /// parameter-sized list for the group; the rest is in place.</summary>
    public override long PyTorchUpdateBytes(in UpdateShape u) => u.Elements * u.StateBytes;

    /// <summary>This project's RMSprop (<c>src/Kernels/Optimizers/Rules/RmspropRule.cs</c>): <c>avg</c> only.</summary>
    public override long TorchSharpUpdateBytes(in UpdateShape u) => u.Elements * u.StateBytes;

    public override bool HasTorchSharpKernel => true;

    public override bool PyTorchStepsAllAtOnce(OptimizerSetup setup) => TorchForeach.On(setup);
}
