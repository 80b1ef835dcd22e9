namespace GaLore.Planner.Fit;

/// <summary>What kind of training a suggestion leaves: all parameters trained, or adapters only.</summary>
public enum SuggestionGroup
{
    /// <summary>Every parameter is still trained (optimizer, precision, checkpointing, batch changes).</summary>
    FullParameter,
    /// <summary>Adapter fine-tuning (LoRA, DoRA, QLoRA): trains far fewer parameters — a different training, listed apart.</summary>
    Adapter,
}

/// <summary>One candidate change for <see cref="Suggestions"/>: what it is, the flags that make it, what it gives up
/// (a cost: lower is cheaper) and how it changes a query (null when it does not apply to that query).</summary>
/// <param name="Description">What to change, e.g. "8-bit optimizer states".</param>
/// <param name="Arguments">The command-line flags that make the change, given the changed query.</param>
/// <param name="Cost">What it gives up (throughput, optimizer fidelity); combinations add their costs.</param>
/// <param name="Apply">The changed query, or null when the change does not apply.</param>
/// <param name="Group">Adapter changes make a combination an adapter suggestion.</param>
public sealed record SuggestedChange(string Description, Func<FitQuery, string> Arguments, int Cost, Func<FitQuery, FitQuery?> Apply,
    SuggestionGroup Group = SuggestionGroup.FullParameter);
