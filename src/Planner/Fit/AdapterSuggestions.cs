namespace GaLore.Planner.Fit;

/// <summary>
/// The "adapter fine-tuning (trains fewer parameters)" candidates of <see cref="Suggestions"/>: changes that train adapters
/// instead of every parameter (LoRA/DoRA over the target modules, QLoRA's quantized base). Wired into the search and into
/// <c>fit</c>'s output as their own group; the adapter planner adds its candidates here, each with
/// <see cref="SuggestionGroup.Adapter"/>. Until then the group is empty.
/// </summary>
public static class AdapterSuggestions
{
    /// <summary>Adds the adapter changes that apply to <paramref name="query"/>.</summary>
    public static void AddCandidates(FitQuery query, List<SuggestedChange> changes)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(changes);
    }
}
