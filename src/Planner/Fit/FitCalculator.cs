using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Parallel;
using GaLore.Planner.Search;

namespace GaLore.Planner.Fit;

/// <summary>Answers <see cref="FitQuery"/>s: the estimate, the largest batch, and what to change if it does not fit.</summary>
public static class FitCalculator
{
    /// <summary>Largest batch <see cref="MaxBatch"/> searches; beyond this a batch is not a memory question.</summary>
    public const int BatchSearchLimit = AxisSearch.BatchSearchLimit;

    /// <summary>Evaluates a query completely.</summary>
    public static FitResult Evaluate(FitQuery query, bool withSuggestions = true)
    {
        query.Validate();
        var program = DevicePrograms.Compile(query.Step, query.Device);
        var estimate = MemoryEstimate.Of(program, query.Batch, query.Seq);
        var table = StepCompiler.TableOf(query.Step.Model);
        var mask = query.Step.Optimizer.SelectGaLore(table);
        long parameters = 0, galore = 0;
        for (int k = 0; k < table.Count; k++)
        {
            parameters += table[k].Elements;
            if (mask[k]) galore += table[k].Elements;
        }
        long trainable = parameters;
        if (query.Step.Adapters is not null)
        {
            // peft's print_trainable_parameters: all = base + adapters, trainable = adapters.
            var adapted = StepCompiler.AdaptedLayoutOf(query.Step);
            parameters = adapted.AllParameters;
            trainable = adapted.TrainableParameters;
        }
        int maxBatch = MaxBatch(program, query);
        bool fits = estimate.DeviceUsedBytes <= query.UsableBytes;
        var suggestions = !fits && withSuggestions ? Suggestions.For(query) : [];
        var parallel = query.Step.Parallel.IsSingle ? null : ParallelSummary.Of(query.Step);
        var warnings = Warnings(query, estimate, fits);
        if (parallel is not null)
        {
            var all = new List<string>(warnings);
            all.AddRange(parallel.Warnings);
            warnings = all;
        }
        return new FitResult(query, estimate, parameters, galore, maxBatch, suggestions, warnings)
        {
            Parallel = parallel,
            TrainableParameters = trainable,
            MaxSeq = AxisSearch.MaxSeq(program, query.Batch, query.UsableBytes),
            Alternatives = !fits && withSuggestions ? FitAlternatives.For(query, program) : null,
        };
    }

    /// <summary>
    /// Evaluates a query whose GPU count is "auto": on the fewest GPUs that fit (<see cref="GpuCountSearch.Fewest"/>), or,
    /// when none up to the search's limit does, on the most GPUs searched.
    /// </summary>
    public static FitResult EvaluateFewestGpus(FitQuery query, bool withSuggestions = true)
    {
        query.Validate();
        var p = query.Step.Parallel;
        int from = GpuCountSearch.MinGpus(p);
        int to = p.Strategy is SingleDevice ? 1 : p.Strategy.Shards ? GpuCountSearch.GpuLimit : from;
        var n = GpuCountSearch.Fewest(query.WithGpus(from), to);
        return Evaluate(query.WithGpus(n ?? to), withSuggestions) with { GpuSearch = new GpuCountAnswer(n is not null, from, to) };
    }

    /// <summary>Predicted memory for a query (no search, no suggestions).</summary>
    public static MemoryEstimate Estimate(FitQuery query) =>
        MemoryEstimate.Of(DevicePrograms.Compile(query.Validate().Step, query.Device), query.Batch, query.Seq);

    /// <summary>
    /// Largest batch whose device-used peak fits at the query's sequence length, everything else fixed
    /// (<see cref="AxisSearch.MaxBatch"/>: exact, the peak never decreases with the batch). 0 if batch 1 does not fit.
    /// </summary>
    public static int MaxBatch(DevicePrograms program, FitQuery query) => AxisSearch.MaxBatch(program, query.Seq, query.UsableBytes);

    /// <summary>The warning for a bfloat16 run on a card without native bfloat16 (compute capability below 8.0: T4, V100),
    /// or null.</summary>
    public static string? Bf16Warning(Precision precision, Devices.GpuSpec gpu) =>
        precision.UsesBf16 && !gpu.SupportsBf16
            ? $"{gpu.DisplayName} (compute capability {gpu.ComputeCapability:0.0}) has no native bf16: PyTorch emulates it slowly or fails; plan --dtype fp16 (Hugging Face's fp16=True) or fp32"
            : null;

    static IReadOnlyList<string> Warnings(FitQuery q, MemoryEstimate estimate, bool fits)
    {
        var w = new List<string>();
        if (Bf16Warning(q.Step.Precision, q.Gpu) is { } bf16) w.Add(bf16);
        if (q.Seq > q.Step.Model.MaxPositionEmbeddings)
            w.Add($"sequence length {q.Seq} exceeds {q.Step.Model.Name}'s max_position_embeddings ({q.Step.Model.MaxPositionEmbeddings})");
        if (q.Step.Model.AttnLogitSoftcapping > 0 && q.Step.Attention == Memory.Graph.AttentionKind.Sdpa)
            w.Add($"{q.Step.Model.Name}: transformers' default SDPA attention ignores attn_logit_softcapping ({q.Step.Model.AttnLogitSoftcapping:0.#}); " +
                  "--attention math plans attn_implementation=\"eager\", which soft-caps as the model was trained (and materialises the s×s scores)");
        if (q.Step.Optimizer.Spec.Layerwise && !q.Step.Optimizer.Spec.FusedBackward)
            w.Add("layerwise updates: single GPU only, gradient accumulation must be 1, gradient clipping has no effect (as in Hugging Face)");
        if (q.Step.Parallel.GradAccum > 1)
            w.Add($"gradient accumulation over {q.Step.Parallel.GradAccum} micro-batches: what the engine keeps of the earlier ones' gradients (.grad, or its partitions and shards) stays alive through the last one's forward and backward");
        OptimizerNotes.Add(q, estimate, fits, w);
        AdapterNotes.Add(q, w);
        return w;
    }
}
