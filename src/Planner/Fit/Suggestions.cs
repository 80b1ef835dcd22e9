using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Parallel;
using GaLore.Planner.Search;
using GaLore.Planner.Optimizers.Families;

namespace GaLore.Planner.Fit;

/// <summary>
/// Finds the cheapest changes that make a query fit, in two groups that are not the same training: full-parameter training
/// (every parameter still trained: other optimizers — layerwise updates, 8-bit or 4-bit states, GaLore, APOLLO and
/// APOLLO-Mini, LOMO and AdaLomo — precision, checkpointing, rank, batch) and adapter fine-tuning
/// (<see cref="AdapterSuggestions"/>; a combination belongs there when it holds an adapter change). Each candidate change has
/// a cost that stands for what it gives up (throughput, optimizer fidelity); per group, single changes are tried first, then
/// pairs, then triples, and the fitting ones are returned cheapest first.
/// </summary>
public static class Suggestions
{
    /// <summary>Most suggestions returned per group.</summary>
    public const int Limit = 5;

    /// <summary>Suggestions for a query that does not fit: the full-parameter group first, then the adapter group.</summary>
    public static IReadOnlyList<Suggestion> For(FitQuery query)
    {
        var changes = Candidates(query);
        var result = new List<Suggestion>();
        foreach (var group in new[] { SuggestionGroup.FullParameter, SuggestionGroup.Adapter })
        {
            var found = new List<(int Cost, Suggestion S)>();
            for (int size = 1; size <= 3 && found.Count == 0; size++)
                foreach (var combo in Combinations(changes, size))
                {
                    if (GroupOf(combo) != group) continue;
                    FitQuery? q = query;
                    MemoryEstimate e;
                    // A combination the libraries refuse (a layerwise optimizer on several GPUs, adapters with an optimizer that
                    // cannot train them) is no suggestion.
                    try
                    {
                        foreach (var c in combo) q = q is null ? null : c.Apply(q);
                        if (q is null) continue;
                        e = FitCalculator.Estimate(q);
                    }
                    catch (PlannerInputException) { continue; }
                    if (e.DeviceUsedBytes > q.UsableBytes) continue;
                    found.Add((combo.Sum(c => c.Cost), new Suggestion(string.Join(" + ", combo.Select(c => c.Description)),
                        string.Join(" ", combo.Select(c => c.Arguments(q)).Distinct()), e) { Group = group }));
                }
            result.AddRange(found.OrderBy(f => f.Cost).ThenBy(f => f.S.Estimate.DeviceUsedBytes).Take(Limit).Select(f => f.S));
        }
        return result;
    }

    static SuggestionGroup GroupOf(SuggestedChange[] combo)
    {
        foreach (var c in combo)
            if (c.Group == SuggestionGroup.Adapter) return SuggestionGroup.Adapter;
        return SuggestionGroup.FullParameter;
    }

    static List<SuggestedChange> Candidates(FitQuery q)
    {
        var s = q.Step;
        var spec = s.Optimizer.Spec;
        var list = new List<SuggestedChange>();
        // A change of name exists only where the catalogue has the resulting name.
        Func<FitQuery, FitQuery?> To(Func<OptimizerSpec, OptimizerSpec?> change) =>
            x => change(x.Step.Optimizer.Spec) is { } sp ? WithSpec(x, sp) : null;
        if (!spec.Layerwise && OptimizerCatalog.Find(spec.Model, spec.GaLore, true) is not null)
            list.Add(new("layerwise updates", Optim, 1, To(sp => OptimizerCatalog.Find(sp.Model, sp.GaLore, true))));
        if (EightBitTwin(spec) is not null)
            list.Add(new("8-bit optimizer states", Optim, 2, To(EightBitTwin)));
        if (GaLoreTwin(spec) is not null)
            list.Add(new("GaLore projection", Optim, 2, To(GaLoreTwin)));
        if (IsFullAdamW(spec))
        {
            list.Add(new("APOLLO (random projection, channel-wise scaling)", Optim, 2, To(ApolloTwin)));
            list.Add(new("4-bit optimizer states (torchao)", Optim, 3, To(sp => IsFullAdamW(sp) && !sp.Layerwise ? OptimizerCatalog.AdamW4bit.Spec() : null)));
        }
        if (IsFullAdamW(spec) || (spec.GaLore && (spec.Model == OptimizerCatalog.AdamW || spec.Model == OptimizerCatalog.Apollo)))
            list.Add(new("APOLLO-Mini (rank 1, tensor-wise scaling)", MiniArguments, 3, ApolloMini));
        if (!spec.FusedBackward)
        {
            list.Add(new("AdaLomo (update fused into backward, factored second moment)", Optim, 3, To(sp => sp.FusedBackward ? null : OptimizerCatalog.AdaLomo.Spec())));
            list.Add(new("LOMO (SGD fused into backward, no optimizer state)", Optim, 4, To(sp => sp.FusedBackward ? null : OptimizerCatalog.Lomo.Spec())));
        }
        // Pure 16-bit training halves weights and gradients; on a card without bf16 only fp16 autocast is offered, which
        // keeps fp32 masters (pure fp16 training diverges, which is why Hugging Face has no such mode).
        if (s.Precision.Mode != PrecisionMode.Bf16 && q.Gpu.SupportsBf16)
            list.Add(new("pure BF16 training", _ => "--dtype bf16", 3, x => x with { Step = x.Step with { Precision = new Precision(PrecisionMode.Bf16) } }));
        if (!s.Checkpointing)
            list.Add(new("activation checkpointing (about 1/3 more compute)", _ => "--checkpointing", 3,
                x => x with { Step = x.Step with { Checkpointing = true } }));
        if (spec.GaLore && s.Optimizer.GaLore.Rank > 64)
            list.Add(new($"rank {s.Optimizer.GaLore.Rank / 2}", x => $"--rank {x.Step.Optimizer.GaLore.Rank}", 4,
                // Only while the rank is above 64: combined with APOLLO-Mini (rank 1) halving would reach rank 0.
                x => x.Step.Optimizer.Spec.GaLore && x.Step.Optimizer.GaLore.Rank > 64
                    ? WithSettings(x, x.Step.Optimizer.GaLore with { Rank = x.Step.Optimizer.GaLore.Rank / 2 }) : null));
        var par = s.Parallel;
        if (par.Strategy.Shards && par.Gpus > 1 && 2 * par.Gpus <= GpuCountSearch.GpuLimit)
            list.Add(new("twice the GPUs", x => $"--gpus {x.Step.Parallel.Gpus}", 4, x => x.WithGpus(2 * x.Step.Parallel.Gpus)));
        if (par.Strategy is DdpStrategy or Zero1Strategy or Zero2Strategy)
            list.Add(new("ZeRO-3 (weights, gradients and states sharded)", _ => "--strategy zero3", 3,
                x => x with { Step = x.Step with { Parallel = x.Step.Parallel with { Strategy = Strategies.Zero3 } } }));
        if (q.Batch > 1)
            list.Add(new("smaller batch", x => $"--batch {x.Batch}", 5, x =>
            {
                int b = FitCalculator.MaxBatch(DevicePrograms.Compile(x.Step, x.Device), x);
                return b >= 1 && b < x.Batch ? x with { Batch = b } : null;
            }));
        AdapterSuggestions.AddCandidates(q, list);
        return list;
    }

    static string Optim(FitQuery x) => "--optim " + x.Step.Optimizer.Spec.Name;

    static FitQuery WithSpec(FitQuery x, OptimizerSpec sp)
    {
        var o = x.Step.Optimizer;
        // The projection knobs carry over; a scale left at one method's default takes the other's (GaLore 0.25, APOLLO 1.0).
        // Knobs of another family drop.
        var settings = o.GaLore;
        if (sp.LowRank != o.Spec.LowRank && o.GaLore.Scale == o.Spec.ProjectionDefaults.Scale)
            settings = settings with { Scale = sp.ProjectionDefaults.Scale };
        var args = ReferenceEquals(sp.Model, o.Spec.Model) ? o.Args : null;
        return x with { Step = x.Step with { Optimizer = o with { Spec = sp, GaLore = settings, Args = args } } };
    }

    static FitQuery WithSettings(FitQuery x, GaLoreSettings settings) =>
        x with { Step = x.Step with { Optimizer = x.Step.Optimizer with { GaLore = settings } } };

    /// <summary>Plain full-size AdamW of any library (the names APOLLO, 4-bit and 8-bit states replace one for one).</summary>
    static bool IsFullAdamW(OptimizerSpec sp) => !sp.GaLore && !sp.FusedBackward && sp.Model switch
    {
        AdamWModel or AnyPrecisionAdamWModel or StableAdamWModel => true,
        BitsAndBytesModel b => b.Kind == BnbKind.AdamW && b.Bits == 32,
        _ => false,
    };

    /// <summary>The same optimizer with 8-bit states: bitsandbytes' 8-bit AdamW for plain AdamW names (paged stays paged,
    /// layerwise stays layerwise, GaLore stays GaLore), the 8-bit form of a 32-bit bitsandbytes name.</summary>
    static OptimizerSpec? EightBitTwin(OptimizerSpec sp)
    {
        if (sp.Model is BitsAndBytesModel { Bits: 32 } b)
            return b.Kind switch
            {
                BnbKind.AdamW => OptimizerCatalog.Parse("paged_adamw_8bit"),
                BnbKind.AdEMAMix => OptimizerCatalog.Parse(b.Paged ? "paged_ademamix_8bit" : "ademamix_8bit"),
                BnbKind.Lion => OptimizerCatalog.Parse(b.Paged ? "paged_lion_8bit" : "lion_8bit"),
                BnbKind.RMSprop => OptimizerCatalog.Parse("rmsprop_bnb_8bit"),
                _ => throw new InvalidOperationException($"unknown bitsandbytes kind {b.Kind}"),
            };
        if (ReferenceEquals(sp.Model, OptimizerCatalog.AdamW)) return OptimizerCatalog.Find(OptimizerCatalog.AdamW8bit, sp.GaLore, sp.Layerwise);
        return IsFullAdamW(sp) ? OptimizerCatalog.Find(OptimizerCatalog.AdamW8bit, false, sp.Layerwise) : null;
    }

    /// <summary>The same optimizer with GaLore: the family's own GaLore name, else galore-torch's AdamW for plain AdamW names
    /// and its 8-bit AdamW for bitsandbytes' paged 8-bit AdamW (galore-torch has no paged form).</summary>
    static OptimizerSpec? GaLoreTwin(OptimizerSpec sp)
    {
        if (sp.GaLore || sp.FusedBackward) return null;
        if (OptimizerCatalog.Find(sp.Model, true, sp.Layerwise) is { } own) return own;
        if (IsFullAdamW(sp)) return OptimizerCatalog.Find(OptimizerCatalog.AdamW, true, sp.Layerwise);
        return sp.Model is AdamW8bitModel ? OptimizerCatalog.Find(OptimizerCatalog.AdamW8bit, true, sp.Layerwise) : null;
    }

    static OptimizerSpec? ApolloTwin(OptimizerSpec sp) => IsFullAdamW(sp) ? OptimizerCatalog.Find(OptimizerCatalog.Apollo, true, sp.Layerwise) : null;

    /// <summary>APOLLO-Mini as the APOLLO README and HF's docs write it: rank 1, tensor-wise scaling, scale 128.</summary>
    static FitQuery? ApolloMini(FitQuery x)
    {
        var sp = x.Step.Optimizer.Spec;
        if (!(IsFullAdamW(sp) || (sp.GaLore && (sp.Model == OptimizerCatalog.AdamW || sp.Model == OptimizerCatalog.Apollo)))) return null;
        var apollo = OptimizerCatalog.Find(OptimizerCatalog.Apollo, true, sp.Layerwise);
        if (apollo is null) return null;
        var mini = x.Step.Optimizer with
        {
            Spec = apollo, GaLore = GaLoreSettings.ApolloDefault with { Rank = 1, Scale = 128 },
            Args = OptimArgs.Parse("scale_type=tensor", apollo).Args,
        };
        return x with { Step = x.Step with { Optimizer = mini } };
    }

    static string MiniArguments(FitQuery x) => $"--optim {x.Step.Optimizer.Spec.Name} --rank 1 --scale 128 --optim-args scale_type=tensor";

    static IEnumerable<SuggestedChange[]> Combinations(List<SuggestedChange> items, int size, int start = 0)
    {
        if (size == 0) { yield return []; yield break; }
        for (int i = start; i <= items.Count - size; i++)
            foreach (var rest in Combinations(items, size - 1, i + 1))
                yield return [items[i], .. rest];
    }
}

/// <summary>The catalogue entry of a family that has exactly one name (LOMO, AdaLomo, torchao 4-bit).</summary>
static class SingleNameFamilies
{
    /// <summary>The only name of <paramref name="model"/>.</summary>
    public static OptimizerSpec Spec(this OptimizerModel model)
    {
        OptimizerSpec? found = null;
        foreach (var s in OptimizerCatalog.All)
            if (ReferenceEquals(s.Model, model))
                found = found is null ? s : throw new InvalidOperationException($"family {model.Id} has several names");
        return found ?? throw new InvalidOperationException($"family {model.Id} has no name");
    }
}
