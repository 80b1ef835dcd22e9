using GaLore.Planner.Memory;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// One optimizer family, the one description every layer reads: the state tensors it keeps per parameter (element
/// types in bits), the most bytes it needs beyond them while one parameter is updated on each runtime, its knobs with
/// Hugging Face's defaults, and (in <see cref="OptimizerCatalog"/>) which HF <c>optim</c> names map to it. Each family is
/// one file in <c>src/Planner/Optimizers/Families</c>; the TorchSharp kernel that trains it is registered under
/// <see cref="Id"/> in <c>src/Kernels/Factory/KernelCatalog.cs</c>.
/// </summary>
public abstract class OptimizerModel
{
    /// <summary>Stable identifier (<c>adamw</c>, <c>adamw_8bit</c>, …): the kernels' registry key and what reports print.</summary>
    public abstract string Id { get; }

    /// <summary>The reference implementation Hugging Face hands the name to (library and class), for help texts.</summary>
    public abstract string Library { get; }

    /// <summary><c>optim_args</c> keys the family reads besides GaLore's, with HF's defaults.</summary>
    public virtual IReadOnlyList<OptimizerKnob> Knobs => [];

    /// <summary>The dtype the optimizer computes in and keeps GaLore's projector in, given the gradient's dtype.</summary>
    public abstract DType ComputeType(Precision precision);

    /// <summary>Adds the states of one parameter as the optimizer sees it (<paramref name="shape"/>: the projected gradient's
    /// shape under GaLore).</summary>
    public abstract void AddStates(in StateShape shape, OptimizerSetup setup, Precision precision, List<StateTensor> states);

    /// <summary>PyTorch stack (<see cref="RuntimeProfile.PyTorchReference"/>): most bytes alive at once, beyond the
    /// parameter, its gradient and its states, while one parameter is updated on a step without a projection refresh.</summary>
    public abstract long PyTorchUpdateBytes(in UpdateShape u);

    /// <summary>This project's kernels (<see cref="RuntimeProfile.TorchSharpKernels"/>): the same quantity. Families without a
    /// TorchSharp kernel (<see cref="HasTorchSharpKernel"/> false) refuse: there is nothing of this project's to predict.</summary>
    public virtual long TorchSharpUpdateBytes(in UpdateShape u) =>
        throw new PlannerInputException($"optimizer family '{Id}' ({Library}) has no TorchSharp kernel in this project: use --runtime pytorch");

    /// <summary>Whether this project has a TorchSharp kernel for the family (registered under <see cref="Id"/> in
    /// <c>src/Kernels/Factory/KernelCatalog.cs</c>; a test keeps the two in step).</summary>
    public virtual bool HasTorchSharpKernel => false;

    /// <summary>PyTorch stack: whether one step's per-parameter transients are all alive at once (multi-tensor
    /// <c>_foreach_</c> kernels over a parameter group) rather than one parameter at a time.</summary>
    public virtual bool PyTorchStepsAllAtOnce(OptimizerSetup setup) => false;

    /// <summary>How a projected parameter's projector is recomputed every <c>update_proj_gap</c> steps: GaLore's SVD, or
    /// APOLLO's Gaussian matrix regenerated from a seed.</summary>
    public virtual ProjectionRefresh RefreshKind(OptimizerSetup setup) => ProjectionRefresh.Svd;

    /// <summary>Rejects a setup the reference library cannot run (throws <see cref="PlannerInputException"/>).</summary>
    public virtual void Check(OptimizerSetup setup) { }

    /// <summary>Something a user planning this family should know (where its states live, what was not verified), or null.</summary>
    public virtual string? Note(OptimizerSetup setup) => null;

    public override string ToString() => Id;
}

/// <summary>The shape an optimizer keeps states for: the parameter's, or the projected gradient's under GaLore.</summary>
/// <param name="Rows">Rows (the low-rank rows under GaLore).</param>
/// <param name="Cols">Columns (1 for vectors).</param>
/// <param name="IsMatrix">Whether the tensor has at least two dimensions (factored states apply only to these).</param>
/// <param name="IsEmbedding">Whether the parameter is an <c>nn.Embedding</c> weight (Hugging Face keeps 32-bit
/// bitsandbytes states for those).</param>
/// <param name="Projected">Whether the shape is the projected gradient's (GaLore or APOLLO target weights).</param>
public readonly record struct StateShape(long Rows, long Cols, bool IsMatrix, bool IsEmbedding = false, bool Projected = false)
{
    /// <summary>Leading dimension of a 3-D tensor (stacked experts), 1 otherwise: the shape is [Count, Rows, Cols].</summary>
    public long Count { get; init; } = 1;

    /// <summary>Elements.</summary>
    public long Elements => Count * Rows * Cols;
}

/// <summary>How a knob's value is written.</summary>
public enum KnobKind
{
    /// <summary>A finite number within [Min, Max]; <c>none</c> unsets it when the default is <c>none</c>.</summary>
    Number,
    /// <summary>An integer within [Min, Max].</summary>
    Integer,
    /// <summary><c>true</c>/<c>false</c> (also 1/0, yes/no, as Python's <c>strtobool</c>).</summary>
    Flag,
    /// <summary>One of <see cref="OptimizerKnob.Choices"/>.</summary>
    Choice,
    /// <summary>Any text, kept as written (for knobs Hugging Face passes through <c>bool()</c>, where only emptiness counts).</summary>
    Text,
}

/// <summary>One <c>optim_args</c> key an optimizer family reads, as Hugging Face's handler reads it.</summary>
/// <param name="Key">The key, e.g. <c>beta1</c>.</param>
/// <param name="Default">HF's default as text (<c>none</c> when unset).</param>
/// <param name="Meaning">What it changes (one line).</param>
/// <param name="ChangesMemory">Whether it changes a state or transient the planner sizes.</param>
/// <param name="Kind">How the value is written.</param>
public sealed record OptimizerKnob(string Key, string Default, string Meaning, bool ChangesMemory, KnobKind Kind = KnobKind.Number)
{
    /// <summary>Smallest accepted number (inclusive).</summary>
    public double Min { get; init; } = double.NegativeInfinity;

    /// <summary>Largest accepted number (inclusive unless <see cref="MaxExclusive"/>).</summary>
    public double Max { get; init; } = double.PositiveInfinity;

    /// <summary>Whether <see cref="Max"/> itself is out of range (β coefficients must stay below 1).</summary>
    public bool MaxExclusive { get; init; }

    /// <summary>Accepted values of a <see cref="KnobKind.Choice"/>.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Checks and normalises a value (lower case, trimmed); throws <see cref="PlannerInputException"/> naming the key.</summary>
    public string Normalise(string value)
    {
        string v = value.Trim();
        string lower = v.ToLowerInvariant();
        if (lower == "none" && Default == "none") return "none";
        switch (Kind)
        {
            case KnobKind.Number:
                if (!double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)
                    || !double.IsFinite(d) || d < Min || d > Max || (MaxExclusive && d == Max))
                    throw new PlannerInputException($"optim_args {Key}='{value}' must be a number in {Range()}");
                return v;
            case KnobKind.Integer:
                if (!long.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long n)
                    || n < Min || n > Max)
                    throw new PlannerInputException($"optim_args {Key}='{value}' must be an integer in {Range()}");
                return v;
            case KnobKind.Flag:
                return lower switch
                {
                    "true" or "1" or "yes" or "y" or "on" or "t" => "true",
                    "false" or "0" or "no" or "n" or "off" or "f" => "false",
                    _ => throw new PlannerInputException($"optim_args {Key}='{value}' must be true or false"),
                };
            case KnobKind.Choice:
                foreach (var c in Choices)
                    if (c == lower) return c;
                throw new PlannerInputException($"optim_args {Key}='{value}' must be one of {string.Join(", ", Choices)}");
            case KnobKind.Text:
                return v;
            default:
                throw new InvalidOperationException($"unknown knob kind {Kind}");
        }
    }

    string Range() =>
        $"[{(double.IsNegativeInfinity(Min) ? "-∞" : Min.ToString(System.Globalization.CultureInfo.InvariantCulture))}, " +
        $"{(double.IsPositiveInfinity(Max) ? "∞" : Max.ToString(System.Globalization.CultureInfo.InvariantCulture))}{(MaxExclusive ? ")" : "]")}";
}
