using System.Runtime.ExceptionServices;
using GaLore.Kernels.Native;
using GaLore.Kernels.Optimizers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Kernels.Layerwise;

/// <summary>
/// Layerwise ("per-layer weight update") training, Hugging Face's <c>*_layerwise</c> optimizers: one single-parameter
/// optimizer per parameter, stepped during backward so only about one gradient is alive at a time
/// (the GaLore paper's "per-layer weight updates"; HF <c>Trainer._get_galore_optimizer</c>).
/// <para>Use: the model calls <see cref="Tap"/> on each parameter once per forward and uses the result in place of
/// the parameter (reuse the same result for tied uses). <c>loss.backward()</c> then updates every tapped parameter;
/// <see cref="step"/> does nothing but report errors raised during backward. The parameters may keep
/// <c>requires_grad</c> (their <c>.grad</c> stays null) or have it off. Gradient accumulation and clipping do not
/// apply, as in HF. When grad mode is off (evaluation) <see cref="Tap"/> returns a detached alias.</para>
/// </summary>
public sealed class LayerwiseUpdater : IDisposable
{
    readonly Dictionary<Tensor, Entry> entries = new(ReferenceEqualityComparer.Instance);
    readonly List<ProjectedOptimizer> optimizers = [];
    readonly Dictionary<string, Tensor> anchors = [];   // one 0-d anchor per device
    ExceptionDispatchInfo? pending;
    long updates;

    /// <summary>Creates one optimizer per parameter.</summary>
    /// <param name="parameters">The parameters (the same objects the model will pass to <see cref="Tap"/>).</param>
    /// <param name="create">Builds the single-parameter optimizer for one parameter.</param>
    public LayerwiseUpdater(IEnumerable<Parameter> parameters, Func<Parameter, ProjectedOptimizer> create)
    {
        TorchNativeLoader.EnsureLoaded();
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(create);
        foreach (var p in parameters)
        {
            if (entries.ContainsKey(p)) throw new ArgumentException("a parameter is listed twice", nameof(parameters));
            var optimizer = create(p);
            optimizers.Add(optimizer);
            var entry = new Entry(p, optimizer);
            entry.Callback = new TapCallback(grad => OnGradient(entry, grad));
            entries[p] = entry;
        }
    }

    /// <summary>Per-parameter updates applied so far (one per tapped parameter per backward).</summary>
    public long UpdateCount => Interlocked.Read(ref updates);

    /// <summary>The parameters this updater owns.</summary>
    public IEnumerable<Parameter> Parameters => entries.Values.Select(e => e.Parameter);

    /// <summary>The single-parameter optimizer of <paramref name="parameter"/> (for its state).</summary>
    public ProjectedOptimizer OptimizerOf(Tensor parameter) => Find(parameter).Optimizer;

    /// <summary>
    /// Returns <paramref name="weight"/> as a tensor to use in forward whose gradient, once complete, updates the
    /// weight in place during backward. Call once per parameter per forward; the result belongs to the caller
    /// (dispose it, or let a dispose scope do so).
    /// </summary>
    public Tensor Tap(Tensor weight)
    {
        var entry = Find(weight);
        if (!is_grad_enabled()) return weight.detach();
        return LayerwiseTap.Tap(entry.Parameter, AnchorOn(weight.device), entry.Callback!);
    }

    /// <summary>Does nothing: updates happen during backward. Rethrows the first error a backward update raised.</summary>
    public void step()
    {
        var error = Interlocked.Exchange(ref pending, null);
        error?.Throw();
    }

    /// <summary>Frees gradients that may have accumulated on parameters used without a tap (when they require grad).</summary>
    public void zero_grad(bool set_to_none = true)
    {
        foreach (var p in entries.Keys)
        {
            if (set_to_none) p.grad = null;
            else
            {
                using var g = p.grad;
                g?.zero_();
            }
        }
    }

    void OnGradient(Entry entry, Tensor grad)
    {
        try
        {
            entry.Optimizer.UpdateParameter(entry.Parameter, grad);
            Interlocked.Increment(ref updates);
        }
        catch (Exception e)
        {
            // An exception must not unwind through libtorch's autograd engine; it is rethrown by step().
            Interlocked.CompareExchange(ref pending, ExceptionDispatchInfo.Capture(e), null);
        }
    }

    /// <summary>A tiny tensor that requires grad, on the weight's device: it makes the tap's output require grad even
    /// when the weight does not. It never receives a gradient.</summary>
    Tensor AnchorOn(Device device)
    {
        string key = device.ToString();
        if (!anchors.TryGetValue(key, out var anchor))
            anchors[key] = anchor = zeros([], ScalarType.Float32, device).requires_grad_().DetachFromDisposeScope();
        return anchor;
    }

    Entry Find(Tensor weight) =>
        entries.TryGetValue(weight ?? throw new ArgumentNullException(nameof(weight)), out var e)
            ? e : throw new ArgumentException("this tensor is not one of the updater's parameters (pass the same Parameter object)", nameof(weight));

    /// <summary>Disposes the per-parameter optimizers and the anchors.</summary>
    public void Dispose()
    {
        foreach (var o in optimizers) o.Dispose();
        optimizers.Clear();
        foreach (var a in anchors.Values) a.Dispose();
        anchors.Clear();
    }

    sealed class Entry(Parameter parameter, ProjectedOptimizer optimizer)
    {
        public Parameter Parameter { get; } = parameter;
        public ProjectedOptimizer Optimizer { get; } = optimizer;
        public TapCallback? Callback { get; set; }
    }
}
