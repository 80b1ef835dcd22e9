using GaLore.Kernels.Projection;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// Where a base rule's update goes. The rule never builds a full-size update tensor itself: it hands the sink
/// either the whole (low-rank) update or one flat chunk of it, at a flat element <c>offset</c>.
/// <list type="bullet">
/// <item><see cref="DirectSink"/>: straight into W (<c>addcdiv_</c> / <c>add_</c>), for parameters GaLore does not project.</item>
/// <item><see cref="ProjectedSink"/>: the low-rank N is projected back into W with <c>addmm_</c>
/// (<see cref="GaLoreProjector.ProjectBackInto"/>); chunks are first collected into one N.</item>
/// </list>
/// </summary>
internal abstract class UpdateSink : IDisposable
{
    /// <summary>Elements of the update the rule produces (R's size under GaLore, W's otherwise).</summary>
    public abstract long Elements { get; }

    /// <summary>Shape of the update the rule produces.</summary>
    public abstract long[] Shape { get; }

    /// <summary>update[offset …] += alpha · num / den. <paramref name="den"/> may be overwritten; <paramref name="num"/> is not.</summary>
    public abstract void AddRatio(Tensor num, Tensor den, double alpha, long offset = 0);

    /// <summary>update[offset …] += alpha · u. <paramref name="u"/> is not modified.</summary>
    public abstract void Add(Tensor u, double alpha, long offset = 0);

    /// <summary>Applies whatever was collected (projected sinks with chunked rules).</summary>
    public virtual void Complete() { }

    /// <summary>Frees a collection buffer left by a failed update.</summary>
    public virtual void Dispose() { }

    /// <summary>Whether a call covers the whole update (then tensors keep their shape) or one flat chunk.</summary>
    protected bool Whole(Tensor t, long offset) => offset == 0 && t.numel() == Elements;
}

/// <summary>Applies updates directly to the weight (its dtype; a chunk-sized cast when the rule computed in float32).</summary>
internal sealed class DirectSink(Tensor weight) : UpdateSink
{
    public override long Elements => weight.numel();

    public override long[] Shape => weight.shape;

    public override void AddRatio(Tensor num, Tensor den, double alpha, long offset = 0)
    {
        using var target = Region(num, offset);
        if (num.dtype == weight.dtype && den.dtype == weight.dtype)
        {
            using var n = num.view_as(target);
            using var d = den.view_as(target);       // disposed here: an undisposed view would keep den alive until the rule's scope ends
            target.addcdiv_(n, d, alpha);
            return;
        }
        den.reciprocal_().mul_(num);                 // den ← num / den, in the rule's dtype
        using var cast = den.to(weight.dtype);       // mixed-dtype in-place ops would make two float32 copies of W on CPU
        using var shaped = cast.view_as(target);
        target.add_(shaped, alpha);
    }

    public override void Add(Tensor u, double alpha, long offset = 0)
    {
        using var target = Region(u, offset);
        using var cast = u.to(weight.dtype);         // a new handle, a copy only when the dtypes differ
        using var shaped = cast.view_as(target);
        target.add_(shaped, alpha);
    }

    Tensor Region(Tensor t, long offset) => Whole(t, offset) ? weight.alias() : weight.view(-1).narrow(0, offset, t.numel());
}

/// <summary>Projects the low-rank update back into the weight: W += alpha · scale · back(N).</summary>
internal sealed class ProjectedSink(GaLoreProjector projector, Tensor weight, ScalarType collectType) : UpdateSink
{
    Tensor? collected;
    double? collectedAlpha;

    public override long Elements => projector.Geometry.LowRankElements;

    public override long[] Shape => projector.LowRankShape;

    public override void AddRatio(Tensor num, Tensor den, double alpha, long offset = 0)
    {
        den.reciprocal_().mul_(num);                 // den becomes N (or its chunk) in place
        Add(den, alpha, offset);
    }

    public override void Add(Tensor u, double alpha, long offset = 0)
    {
        if (Whole(u, offset) && collected is null)
        {
            using var shaped = u.view(Shape);
            projector.ProjectBackInto(weight, shaped, alpha);
            return;
        }
        if (collectedAlpha is { } a && a != alpha) throw new InvalidOperationException("chunks of one update must share alpha");
        collectedAlpha = alpha;
        // Chunked rules open a dispose scope per chunk: the buffer must outlive them.
        collected ??= zeros(Shape, collectType, weight.device).DetachFromDisposeScope();
        using var flat = collected.view(-1);
        using var region = flat.narrow(0, offset, u.numel());
        using var source = u.view(-1);               // disposed here, so a chunk's u is freed when the rule frees it
        region.copy_(source);
    }

    public override void Complete()
    {
        if (collected is null) return;
        projector.ProjectBackInto(weight, collected, collectedAlpha!.Value);
        Dispose();
    }

    public override void Dispose()
    {
        collected?.Dispose();
        collected = null;
        collectedAlpha = null;
    }
}
