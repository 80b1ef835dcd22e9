using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// Releases the gradient handles that custom autograd functions return, as soon as it is safe.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 reads the handles a <c>backward</c> returns only after <c>backward</c> has returned
/// (<c>CSharpNode::apply</c> copies them), so they cannot be disposed inside it; left to the garbage
/// collector, each would keep its gradient (e.g. a norm's dx, b·s·h elements) alive for an unknown time, and
/// also stop the autograd engine from accumulating into it in place. Instead a backward hands them here, and
/// they are disposed at the next <see cref="Flush"/>: the start of the next custom backward or recomputation,
/// and right after <c>loss.backward()</c> returns (<see cref="CausalLm.AfterBackward"/>). By then libtorch
/// holds its own reference. Thread-safe: on CUDA, backward runs on the autograd engine's device thread.
/// </remarks>
public static class GradientHandoff
{
    static readonly object Gate = new();
    static readonly List<Tensor> Pending = [];

    /// <summary>Takes a tensor a backward is about to return: detaches it from every dispose scope and
    /// schedules its disposal. Returns the same tensor (null stays null).</summary>
    public static Tensor? Defer(Tensor? t)
    {
        if (t is null) return null;
        t.DetachFromDisposeScope();
        lock (Gate) Pending.Add(t);
        return t;
    }

    /// <summary>Disposes every handle deferred so far. Call only where no custom backward is between
    /// returning and libtorch's copy of its results (any point outside a custom <c>backward</c> body).</summary>
    public static void Flush()
    {
        Tensor[] drop;
        lock (Gate)
        {
            if (Pending.Count == 0) return;
            drop = Pending.ToArray();
            Pending.Clear();
        }
        foreach (var t in drop) t.Dispose();
    }

    /// <summary>Number of handles waiting (for tests).</summary>
    public static int PendingCount
    {
        get { lock (Gate) return Pending.Count; }
    }
}
