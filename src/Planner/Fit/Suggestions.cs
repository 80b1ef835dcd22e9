using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Fit;

/// <summary>
/// Finds the cheapest changes that make a query fit. Each candidate change has a cost that stands for
/// what it gives up (throughput, optimizer fidelity); single changes are tried first, then pairs, then
/// triples, and the fitting ones are returned cheapest first.
/// </summary>
public static class Suggestions
{
    /// <summary>Most suggestions returned.</summary>
    public const int Limit = 5;

    sealed record Change(string Description, Func<FitQuery, string> Arguments, int Cost, Func<FitQuery, FitQuery?> Apply);

    /// <summary>Suggestions for a query that does not fit.</summary>
    public static IReadOnlyList<Suggestion> For(FitQuery query)
    {
        var changes = Candidates(query);
        var found = new List<(int Cost, Suggestion S)>();
        for (int size = 1; size <= 3 && found.Count == 0; size++)
            foreach (var combo in Combinations(changes, size))
            {
                FitQuery? q = query;
                foreach (var c in combo) q = q is null ? null : c.Apply(q);
                if (q is null) continue;
                MemoryEstimate e;
                try { e = FitCalculator.Estimate(q); }
                catch (PlannerInputException) { continue; }
                if (e.DeviceUsedBytes > q.UsableBytes) continue;
                found.Add((combo.Sum(c => c.Cost),
                    new Suggestion(string.Join(" + ", combo.Select(c => c.Description)), string.Join(" ", combo.Select(c => c.Arguments(q)).Distinct()), e)));
            }
        return found.OrderBy(f => f.Cost).ThenBy(f => f.S.Estimate.DeviceUsedBytes).Take(Limit).Select(f => f.S).ToArray();
    }

    static List<Change> Candidates(FitQuery q)
    {
        var s = q.Step;
        var spec = s.Optimizer.Spec;
        var list = new List<Change>();
        FitQuery WithSpec(FitQuery x, OptimizerSpec sp) => x with { Step = x.Step with { Optimizer = x.Step.Optimizer with { Spec = sp } } };
        string Optim(FitQuery x) => "--optim " + x.Step.Optimizer.Spec.Name;
        // A change of name exists only where the catalogue has the resulting name.
        Func<FitQuery, FitQuery?> To(Func<OptimizerSpec, OptimizerSpec?> change) =>
            x => change(x.Step.Optimizer.Spec) is { } sp ? WithSpec(x, sp) : null;
        if (!spec.Layerwise && OptimizerCatalog.Find(spec.Model, spec.GaLore, true) is not null)
            list.Add(new("layerwise updates", Optim, 1, To(sp => OptimizerCatalog.Find(sp.Model, sp.GaLore, true))));
        if (ReferenceEquals(spec.Model, OptimizerCatalog.AdamW))
            list.Add(new("8-bit optimizer states", Optim, 2, To(sp => OptimizerCatalog.Find(OptimizerCatalog.AdamW8bit, sp.GaLore, sp.Layerwise))));
        if (!spec.GaLore && OptimizerCatalog.Find(spec.Model, true, spec.Layerwise) is not null)
            list.Add(new("GaLore projection", Optim, 2, To(sp => OptimizerCatalog.Find(sp.Model, true, sp.Layerwise))));
        // Pure 16-bit training halves weights and gradients; on a card without bf16 only fp16 autocast is offered, which
        // keeps fp32 masters (pure fp16 training diverges, which is why Hugging Face has no such mode).
        if (s.Precision.Mode != PrecisionMode.Bf16 && q.Gpu.SupportsBf16)
            list.Add(new("pure BF16 training", _ => "--dtype bf16", 3, x => x with { Step = x.Step with { Precision = new Precision(PrecisionMode.Bf16) } }));
        if (!s.Checkpointing)
            list.Add(new("activation checkpointing (about 1/3 more compute)", _ => "--checkpointing", 3,
                x => x with { Step = x.Step with { Checkpointing = true } }));
        if (spec.GaLore && s.Optimizer.GaLore.Rank > 64)
            list.Add(new($"rank {s.Optimizer.GaLore.Rank / 2}", x => $"--rank {x.Step.Optimizer.GaLore.Rank}", 4,
                x => x with { Step = x.Step with { Optimizer = x.Step.Optimizer with { GaLore = x.Step.Optimizer.GaLore with { Rank = x.Step.Optimizer.GaLore.Rank / 2 } } } }));
        if (q.Batch > 1)
            list.Add(new("smaller batch", x => $"--batch {x.Batch}", 5, x =>
            {
                int b = FitCalculator.MaxBatch(DevicePrograms.Compile(x.Step, x.Device), x);
                return b >= 1 && b < x.Batch ? x with { Batch = b } : null;
            }));
        return list;
    }

    static IEnumerable<Change[]> Combinations(List<Change> items, int size, int start = 0)
    {
        if (size == 0) { yield return []; yield break; }
        for (int i = start; i <= items.Count - size; i++)
            foreach (var rest in Combinations(items, size - 1, i + 1))
                yield return [items[i], .. rest];
    }
}
