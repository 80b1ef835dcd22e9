using GaLore.Planner.Devices;
using GaLore.Planner.Models;

namespace GaLore.Planner.Capacity;

/// <summary>
/// The configuration a capacity report recommends for one (GPU, model).
/// <para>
/// Throughput proxy: <b>tokens per optimizer step at the largest micro-batch that fits</b>,
/// max_batch × seq. A larger micro-batch keeps the GPU's matmuls busier and needs fewer gradient-accumulation
/// steps for a given global batch, so among configurations that fit, more tokens per step is the better
/// memory-bound choice. Ties (equal max batch, e.g. when several reach the search limit) go to the lower
/// predicted peak at that batch (more headroom), then to the earlier optimizer in the report's list.
/// </para>
/// <para>
/// What the proxy leaves out, on purpose: optimizer compute (GaLore's SVD every update_proj_gap steps, the 8-bit
/// (de)quantisation), training quality (a rank-r projection or 8-bit states are not the same optimizer as
/// full-rank AdamW: the paper reports comparable perplexity, not identical), and that layerwise updates cannot
/// accumulate gradients (Hugging Face's restriction). The report therefore also lists plain AdamW's max batch
/// next to each recommendation.
/// </para>
/// </summary>
/// <param name="Gpu">The card.</param>
/// <param name="Model">The model.</param>
/// <param name="Pick">The recommended row; null when no optimizer fits batch 1.</param>
/// <param name="Reference">Plain AdamW's row when the report includes it (for comparison).</param>
public sealed record Recommendation(GpuSpec Gpu, ModelConfig Model, CapacityRow? Pick, CapacityRow? Reference)
{
    /// <summary>Chooses among one (GPU, model)'s rows by the throughput proxy.</summary>
    public static Recommendation Choose(IReadOnlyList<CapacityRow> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to choose from");
        var pick = rows
            .Where(r => r.Fits && r.AtMaxBatch is not null && !r.TrainsAdapters)   // full-parameter rows only
            .OrderByDescending(r => r.TokensPerStep)
            .ThenBy(r => r.AtMaxBatch!.DeviceUsedBytes)
            .FirstOrDefault();
        var reference = rows.FirstOrDefault(r => r.Optimizer == "adamw");
        return new Recommendation(rows[0].Gpu, rows[0].Model, pick, reference);
    }
}
