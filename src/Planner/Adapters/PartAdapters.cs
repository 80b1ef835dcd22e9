namespace GaLore.Planner.Adapters;

/// <summary>One Linear role of a part under peft: how its frozen base is stored and, when a target, its adapter.</summary>
/// <param name="Role">The weight's role name in the part's graph (e.g. <c>q_proj</c>).</param>
/// <param name="Quant">Storage of the base weight.</param>
/// <param name="DoubleQuant">4-bit base with double-quantized absmax.</param>
/// <param name="Rank">LoRA rank, 0 when the module is not a target (a frozen Linear only).</param>
/// <param name="Dora">DoRA's magnitude and weight norm on top of LoRA.</param>
/// <param name="Dropout">Whether lora_dropout &gt; 0 (an <c>nn.Dropout</c> with its mask instead of the identity).</param>
public readonly record struct LinearAdapter(string Role, BaseQuant Quant, bool DoubleQuant, int Rank, bool Dora, bool Dropout)
{
    /// <summary>Whether the module carries an adapter.</summary>
    public bool Adapted => Rank > 0;
}

/// <summary>Role names of the adapter parameters of a Linear role, as the adapted layout binds them and the graphs declare them.</summary>
public static class AdapterRoles
{
    /// <summary>lora_A of <paramref name="role"/>.</summary>
    public static string A(string role) => role + ".lora_A";

    /// <summary>lora_B of <paramref name="role"/>.</summary>
    public static string B(string role) => role + ".lora_B";

    /// <summary>DoRA's magnitude vector of <paramref name="role"/>.</summary>
    public static string Magnitude(string role) => role + ".lora_magnitude_vector";

    /// <summary>Whether a graph role is an adapter parameter (trainable); every other role is a frozen base parameter.</summary>
    public static bool IsTrainable(string role) =>
        role.EndsWith(".lora_A", StringComparison.Ordinal) || role.EndsWith(".lora_B", StringComparison.Ordinal)
        || role.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal);
}

/// <summary>
/// What one part's op graph needs to know about peft: every Linear role's base storage and adapter, whether the part's
/// input requires grad (the first block's does not unless <c>enable_input_require_grads</c> made the embedding output
/// require it), and the runtime's dequantization scratch. It is part of the step compiler's graph cache key: parts with
/// equal designs but different adapters get different graphs. Value equality.
/// </summary>
public sealed class PartAdapters : IEquatable<PartAdapters>
{
    readonly LinearAdapter[] linears;

    /// <summary>Creates the description.</summary>
    /// <param name="linears">Every Linear role of the part the layout knows (unlisted Linear roles are frozen and dense).</param>
    /// <param name="inputRequiresGrad">Whether the part's input tensor requires grad.</param>
    /// <param name="outputRequiresGrad">Whether the part's output is made to require grad (the embedding under
    /// <c>enable_input_require_grads</c>).</param>
    /// <param name="dequantScratchBytes">Bytes the runtime's 4-bit dequantization needs beside its output (a constant).</param>
    public PartAdapters(IReadOnlyList<LinearAdapter> linears, bool inputRequiresGrad, bool outputRequiresGrad, long dequantScratchBytes)
    {
        this.linears = linears.ToArray();
        InputRequiresGrad = inputRequiresGrad;
        OutputRequiresGrad = outputRequiresGrad;
        DequantScratchBytes = dequantScratchBytes;
    }

    /// <summary>The Linear roles.</summary>
    public IReadOnlyList<LinearAdapter> Linears => linears;

    /// <summary>Whether the part's input requires grad.</summary>
    public bool InputRequiresGrad { get; }

    /// <summary>Whether the part's output is forced to require grad.</summary>
    public bool OutputRequiresGrad { get; }

    /// <summary>Constant scratch of one 4-bit dequantization on this runtime.</summary>
    public long DequantScratchBytes { get; }

    /// <summary>The entry of a Linear role; a frozen dense Linear when the layout did not list it.</summary>
    public LinearAdapter Of(string role)
    {
        foreach (var l in linears)
            if (l.Role == role) return l;
        return new LinearAdapter(role, BaseQuant.None, false, 0, false, false);
    }

    /// <summary>The same adapters with other requires-grad flags.</summary>
    public PartAdapters With(bool inputRequiresGrad, bool outputRequiresGrad) =>
        inputRequiresGrad == InputRequiresGrad && outputRequiresGrad == OutputRequiresGrad
            ? this
            : new PartAdapters(linears, inputRequiresGrad, outputRequiresGrad, DequantScratchBytes);

    public bool Equals(PartAdapters? other) =>
        other is not null && InputRequiresGrad == other.InputRequiresGrad && OutputRequiresGrad == other.OutputRequiresGrad
        && DequantScratchBytes == other.DequantScratchBytes && linears.AsSpan().SequenceEqual(other.linears);

    public override bool Equals(object? obj) => obj is PartAdapters p && Equals(p);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(InputRequiresGrad);
        h.Add(OutputRequiresGrad);
        h.Add(DequantScratchBytes);
        foreach (var l in linears) h.Add(l);
        return h.ToHashCode();
    }
}
