using System.Runtime.CompilerServices;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory;

/// <summary>
/// Turns a <see cref="StepSpec"/> into a <see cref="StepProgram"/>: weights and optimizer states as the
/// persistent base, then one training step as PyTorch runs it — forward through the embedding, every
/// block and the loss; backward in reverse (each block recomputed first under checkpointing; each
/// parameter updated and its gradient freed as soon as it is complete when updates are layerwise);
/// then, unless layerwise, the optimizer step over all parameters with every gradient alive, and
/// <c>zero_grad(set_to_none=True)</c>.
/// </summary>
public static class StepCompiler
{
    /// <summary>Per-model caches, keyed by the config object (presets are singletons; sweeps reuse one config).</summary>
    sealed class ModelCache(ModelConfig model)
    {
        public readonly IReadOnlyList<ParameterTensor> Table = ParameterTable.Build(model);
        public readonly LlamaGraphs?[] Graphs = new LlamaGraphs?[3 * 2 * 2 * 2 * 2 * 2];
    }

    static readonly ConditionalWeakTable<ModelConfig, ModelCache> Caches = new();

    static ModelCache CacheOf(ModelConfig model) => Caches.GetValue(model, m => new ModelCache(m));

    /// <summary>The model's parameter table (cached per model).</summary>
    public static IReadOnlyList<ParameterTensor> TableOf(ModelConfig model) => CacheOf(model).Table;

    /// <summary>The model's graphs (cached per model, precision, flavour and attention) on a device.</summary>
    public static LlamaGraphs GraphsOf(StepSpec s, DeviceKind device = DeviceKind.Cuda)
    {
        var f = s.Stack.FlavorOn(device);
        int slot = (((((int)s.Precision.Mode * 2 + (int)f.Norm) * 2 + (f.RepeatKvForGqa ? 1 : 0)) * 2 + (f.UpcastLogits ? 1 : 0)) * 2
                    + (f.HostKernels ? 1 : 0)) * 2 + (int)s.Attention;
        var graphs = CacheOf(s.Model).Graphs;
        return Volatile.Read(ref graphs[slot]) ?? (graphs[slot] = new LlamaGraphs(s.Model, s.Precision, f, s.Attention));
    }

    /// <summary>Compiles a step for a device and its allocator's rounding. <paramref name="compact"/> = false keeps
    /// every event (for tests and timelines).</summary>
    public static StepProgram Compile(StepSpec s, AllocationRounding rounding = AllocationRounding.None,
        DeviceKind device = DeviceKind.Cuda, bool compact = true)
    {
        var table = TableOf(s.Model);
        var galore = s.Optimizer.SelectGaLore(table);
        var graphs = GraphsOf(s, device);
        var spec = s.Optimizer.Spec;
        var p = s.Precision;

        var persistent = new CategoryBytes();
        var bound = new BoundParam[table.Count];
        for (int k = 0; k < table.Count; k++)
        {
            var t = table[k];
            persistent.Add(MemoryCategory.Weights, Rounding.Apply(t.Elements * p.WeightBytes, rounding));
            persistent.Add(MemoryCategory.OptimizerStates, StateLayout.Bytes(t, galore[k], s.Optimizer, p, rounding));
            int uses = t.Kind == TensorKind.Embedding && s.Model.TieWordEmbeddings ? 2 : 1;
            bound[k] = new BoundParam(t.Name, t.Elements * p.GradientBytes, uses,
                spec.Layerwise ? UpdateBytes(s, t, galore[k]) : -1);
        }

        var segments = new List<StepSegment>();
        var events = new EventLog();
        var sim = new GraphSimulator(events);
        // Close the events recorded so far as a segment that happens `repeat` times in a row; identical consecutive
        // segments merge. Identical decoder blocks are simulated once and given a repeat count.
        void Close(string phase, int repeat = 1)
        {
            var drained = events.Drain();
            var seg = new StepSegment(phase, compact ? EventCompactor.Compact(drained, rounding) : drained, repeat);
            if (seg.Events.Length == 0) return;
            if (segments.Count > 0 && segments[^1].SameEventsAs(seg))
                segments[^1] = segments[^1] with { Repeat = segments[^1].Repeat + repeat };
            else segments.Add(seg);
        }

        int layers = s.Model.NumLayers, perLayer = graphs.Block.ParamRoles.Count;
        BoundParam[] LayerBinding(int l) => bound.AsSpan(1 + l * perLayer, perLayer).ToArray();
        // Blocks l and l' behave identically when GaLore selects the same roles in both (shapes are equal by construction).
        bool SameLayer(int l, int m) => galore.AsSpan(1 + l * perLayer, perLayer).SequenceEqual(galore.AsSpan(1 + m * perLayer, perLayer));
        var embedding = bound[0];
        var headBinding = new[] { bound[1 + layers * perLayer], s.Model.TieWordEmbeddings ? embedding : bound[^1] };
        foreach (var b in bound) b.Reset();

        sim.Forward(graphs.Embedding, ForwardMode.Normal);
        Close("forward: embedding");
        sim.Forward(graphs.Block, s.Checkpointing ? ForwardMode.Checkpointed : ForwardMode.Normal);
        Close("forward: block", layers);
        sim.Forward(graphs.Head, ForwardMode.Normal);
        Close("forward: norm, lm_head, loss");
        sim.Backward(graphs.Head, headBinding, inputKeptByCheckpoint: false);
        Close("backward: loss, lm_head, norm");
        for (int l = layers - 1; l >= 0;)
        {
            int first = l;
            while (l - 1 >= 0 && SameLayer(l - 1, first)) l--;
            var binding = LayerBinding(first);
            if (s.Checkpointing) sim.Forward(graphs.Block, ForwardMode.Recompute);
            sim.Backward(graphs.Block, binding, inputKeptByCheckpoint: s.Checkpointing);
            Close(s.Checkpointing ? "backward: block (recomputed)" : "backward: block", first - l + 1);
            for (int m = l; m < first; m++) // the repeated blocks end in the same state as the one simulated
            {
                var same = LayerBinding(m);
                for (int k = 0; k < perLayer; k++) same[k].CopyStateFrom(binding[k]);
            }
            l--;
        }
        sim.Backward(graphs.Embedding, [embedding], inputKeptByCheckpoint: false);
        Close("backward: embedding");

        if (!spec.Layerwise)
        {
            EmitOptimizerStep(s, table, galore, events, Close, perLayer, SameLayer);
            foreach (var b in bound)
                if (b.GradAlive) events.Add(new StepEvent(Extent.Fixed(b.GradBytes), MemoryCategory.Gradients, true, "zero_grad: gradients freed"));
            Close("zero_grad");
        }
        return new StepProgram(persistent, segments, rounding);
    }

    /// <summary>Transient bytes of one parameter's update in this step (the refresh's SVD included when it happens).</summary>
    public static long UpdateBytes(StepSpec s, ParameterTensor t, bool galore)
    {
        var u = UpdateShape.For(t, galore, s.Optimizer, s.Precision);
        long update = s.Stack.UpdateTransientBytes(u);
        return s.RefreshStep ? Math.Max(update, s.Stack.RefreshTransientBytes(u)) : update;
    }

    static void EmitOptimizerStep(StepSpec s, IReadOnlyList<ParameterTensor> table, bool[] galore, EventLog events, Action<string, int> close,
        int perLayer, Func<int, int, bool> sameLayer)
    {
        if (s.Stack.ForeachAdamW && s.Optimizer.Spec is { Base: BaseOptimizer.AdamW, GaLore: false })
        {
            // torch.optim.AdamW(foreach=True): torch._foreach_sqrt(exp_avg_sqs) makes one temporary per parameter, all at once.
            long all = 0;
            foreach (var t in table) all += UpdateBytes(s, t, false);
            events.Add(new StepEvent(Extent.Fixed(all), MemoryCategory.Other, false, "optimizer step: foreach sqrt(exp_avg_sq) list"));
            events.Add(new StepEvent(Extent.Fixed(all), MemoryCategory.Other, true, "optimizer step: foreach temporaries freed"));
            close("optimizer step", 1);
            return;
        }
        void Update(int k)
        {
            var t = table[k];
            var size = Extent.Fixed(UpdateBytes(s, t, galore[k]));
            string what = galore[k] ? (s.RefreshStep ? "project (refresh) + update" : "project + update") : "update";
            events.Add(new StepEvent(size, MemoryCategory.Other, false, $"optimizer step: {what} {Role(t)}"));
            events.Add(new StepEvent(size, MemoryCategory.Other, true, $"optimizer step: {Role(t)} done"));
        }
        int layers = s.Model.NumLayers;
        Update(0);                                                   // embedding
        close("optimizer step", 1);
        for (int l = 0; l < layers;)                                 // blocks, identical ones once with a repeat count
        {
            int first = l;
            while (l + 1 < layers && sameLayer(l + 1, first)) l++;
            for (int k = 1 + first * perLayer; k < 1 + (first + 1) * perLayer; k++) Update(k);
            close("optimizer step: block", l - first + 1);
            l++;
        }
        for (int k = 1 + layers * perLayer; k < table.Count; k++) Update(k); // final norm, lm_head
        close("optimizer step", 1);
    }

    static string Role(ParameterTensor t) => t.Layer >= 0 ? t.Name[(t.Name.IndexOf('.', "model.layers.".Length) + 1)..] : t.Name;
}
