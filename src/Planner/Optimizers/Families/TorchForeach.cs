namespace GaLore.Planner.Optimizers.Families;

/// <summary>
/// The <c>foreach</c> argument of <c>torch.optim</c> classes, which Hugging Face's <c>sgd</c>, <c>adagrad</c> and
/// <c>rmsprop</c> handlers pass through from <c>optim_args</c> (<c>_coerce_optim_args</c>: <c>ast.literal_eval</c>). Left
/// None, <c>torch.optim.optimizer._default_to_fused_or_foreach</c> picks the multi-tensor path when every parameter is on
/// CUDA: its temporaries then exist for a whole parameter group at once.
/// </summary>
public static class TorchForeach
{
    /// <summary>The knob.</summary>
    public static readonly OptimizerKnob Knob = new("foreach", "none",
        "multi-tensor step (none: on for CUDA parameters): its temporaries exist for a whole group at once", true, KnobKind.Choice)
    {
        Choices = ["none", "true", "false"],
    };

    /// <summary>Whether the step runs the multi-tensor path on CUDA.</summary>
    public static bool On(OptimizerSetup setup) => setup.Knobs.Text(Knob) != "false";
}
