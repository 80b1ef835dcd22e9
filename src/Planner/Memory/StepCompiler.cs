using GaLore.Planner.Adapters;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Memory;

/// <summary>
/// Turns a <see cref="StepSpec"/> into a <see cref="StepProgram"/>: weights and optimizer states as the
/// persistent base, then one training step as PyTorch runs it over the model's <see cref="ModelLayout"/> — forward
/// through every part (embedding, blocks, head with the loss); backward in reverse (each block recomputed first under
/// checkpointing; each parameter updated and its gradient freed as soon as it is complete when updates are
/// layerwise); then, unless layerwise, the optimizer step over all parameters with every gradient alive, and
/// <c>zero_grad(set_to_none=True)</c>. A run of consecutive parts with the same op graph (and, for backward and the
/// optimizer step, parameters that behave the same) is simulated once and repeated. On several GPUs or with gradient
/// accumulation the step's <see cref="StepHooks"/> (from its <see cref="StepSpec.Parallel"/> strategy) replace the
/// persistent bytes and gradient sizes and add the engine's events; sizes are then per GPU.
/// </summary>
public static class StepCompiler
{
    /// <summary>Per-model caches, keyed by the config object (presets are singletons; sweeps reuse one config).</summary>
    sealed class ModelCache(ModelConfig model)
    {
        public readonly ModelLayout Layout = model.Layout();
        public readonly List<GraphEntry> Graphs = [];
        public readonly List<AdaptedEntry> Adapted = [];
    }

    /// <summary>One cached peft layout (a class, not a tuple: a list of a value type is not precompiled and would be
    /// JIT-compiled at every start-up).</summary>
    sealed record AdaptedEntry(AdapterSetup Setup, long Scratch, AdaptedLayout Layout);

    /// <summary>One cached graph: a design under one graph context (see <see cref="ContextSlot"/>) and, under peft, the
    /// part's adapters.</summary>
    sealed class GraphEntry(PartDesign design, int slot, PartAdapters? adapters, OpGraph graph)
    {
        public readonly PartDesign Design = design;
        public readonly int Slot = slot;
        public readonly PartAdapters? Adapters = adapters;
        public readonly OpGraph Graph = graph;
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ModelConfig, ModelCache> Caches = new();

    static ModelCache CacheOf(ModelConfig model) => Caches.GetValue(model, m => new ModelCache(m));

    /// <summary>The model's layout (cached per model).</summary>
    public static ModelLayout LayoutOf(ModelConfig model) => CacheOf(model).Layout;

    /// <summary>The model's parameter table (cached per model).</summary>
    public static IReadOnlyList<ParameterTensor> TableOf(ModelConfig model) => CacheOf(model).Layout.Parameters;

    /// <summary>The graph context of a step on a device.</summary>
    public static GraphContext ContextOf(StepSpec s, DeviceKind device) => new(s.Precision, s.Stack.FlavorOn(device), s.Attention);

    /// <summary>A small integer that identifies a graph context (every field is a small enum or flag).</summary>
    static int ContextSlot(GraphContext c)
    {
        var f = c.Flavor;
        return (((((((int)c.Precision.Mode * 2 + (int)f.Norm) * 2 + (f.RepeatKvForGqa ? 1 : 0)) * 2 + (f.UpcastLogits ? 1 : 0)) * 2
                + (f.HostKernels ? 1 : 0)) * 2 + (int)c.Attention) * 2 + (c.LongSequence ? 1 : 0)) * 2 + (f.EagerExperts ? 1 : 0);
    }

    /// <summary>The op graph of one part design (cached per model, design and context). Under peft
    /// (<see cref="GraphContext.Adapters"/>) the family's graph is rewritten for the frozen base (<see cref="FrozenGraph"/>).</summary>
    public static OpGraph GraphOf(ModelConfig model, PartDesign design, GraphContext context)
    {
        var cache = CacheOf(model);
        int slot = ContextSlot(context);
        var adapters = context.Adapters;
        lock (cache.Graphs)
        {
            foreach (var e in cache.Graphs)
                if (e.Slot == slot && e.Design.Equals(design) && Equals(e.Adapters, adapters)) return e.Graph;
            var g = model.Family.Graph(design, context);
            if (adapters is not null) g = FrozenGraph.Apply(g, adapters);
            cache.Graphs.Add(new GraphEntry(design, slot, adapters, g));
            return g;
        }
    }

    /// <summary>The model's layout as peft wraps it for the step's adapters (cached per model, setup and runtime); refuses
    /// optimizers that cannot train adapters.</summary>
    public static AdaptedLayout AdaptedLayoutOf(StepSpec s)
    {
        var setup = s.Adapters ?? throw new ArgumentException("the step has no adapters", nameof(s));
        AdapterSetup.CheckOptimizer(s.Optimizer.Spec);
        long scratch = s.Stack.FourBitDequantScratchBytes;
        var cache = CacheOf(s.Model);
        lock (cache.Adapted)
        {
            foreach (var e in cache.Adapted)
                if (e.Scratch == scratch && e.Setup.Equals(setup)) return e.Layout;
            var adapted = AdapterTransform.Apply(cache.Layout, setup, scratch);
            cache.Adapted.Add(new AdaptedEntry(setup, scratch, adapted));
            return adapted;
        }
    }

    /// <summary>
    /// The graph of every part of a peft step, in order: each part's adapters with whether its input requires grad (the
    /// previous part's output does), the embedding's output made to require grad under checkpointing
    /// (<c>enable_input_require_grads</c>, which peft and <c>prepare_model_for_kbit_training</c> call when gradient checkpointing
    /// is on; a reentrant checkpoint needs an input that requires grad).
    /// </summary>
    static OpGraph[] AdaptedGraphs(StepSpec s, AdaptedLayout adapted, GraphContext context)
    {
        var parts = adapted.Layout.Parts;
        var graphs = new OpGraph[parts.Count];
        bool inputGrad = false;
        for (int i = 0; i < parts.Count; i++)
        {
            bool force = s.Checkpointing && parts[i].Design.Kind == PartKind.Embedding;
            graphs[i] = GraphOf(s.Model, parts[i].Design, context with { Adapters = adapted.PartAt(i, inputGrad, force) });
            inputGrad = graphs[i].Output is { RequiresGrad: true };
        }
        return graphs;
    }

    /// <summary>The graph of the step's parts of one kind (the first such part's design) on a device: for tests and
    /// reports that look at one block.</summary>
    public static OpGraph GraphOf(StepSpec s, PartKind kind, DeviceKind device = DeviceKind.Cuda)
    {
        if (s.Adapters is not null)
        {
            var adapted = AdaptedLayoutOf(s);
            var graphs = AdaptedGraphs(s, adapted, ContextOf(s, device));
            for (int i = 0; i < graphs.Length; i++)
                if (adapted.Layout.Parts[i].Design.Kind == kind) return graphs[i];
        }
        foreach (var part in LayoutOf(s.Model).Parts)
            if (part.Design.Kind == kind) return GraphOf(s.Model, part.Design, ContextOf(s, device));
        throw new ArgumentException($"model '{s.Model.Name}' has no {kind} part", nameof(kind));
    }

    /// <summary>Compiles a step for a device and its allocator's rounding. <paramref name="compact"/> = false keeps
    /// every event (for tests and timelines).</summary>
    public static StepProgram Compile(StepSpec s, AllocationRounding rounding = AllocationRounding.None,
        DeviceKind device = DeviceKind.Cuda, bool compact = true)
    {
        int from = (s.Adapters is null ? LayoutOf(s.Model) : AdaptedLayoutOf(s).Layout).LongSequenceFrom;
        var program = Compile(s, rounding, device, compact, longSequence: false);
        return from > 0 ? program.WithLongSequences(Compile(s, rounding, device, compact, longSequence: true), from) : program;
    }

    /// <summary>One program: for sequences shorter than the layout's <see cref="ModelLayout.LongSequenceFrom"/>, or (with
    /// <paramref name="longSequence"/>) for the others.</summary>
    static StepProgram Compile(StepSpec s, AllocationRounding rounding, DeviceKind device, bool compact, bool longSequence)
    {
        // Under peft: the wrapped layout, where only adapter tensors train (float32) and the base is frozen (maybe quantized).
        var adapted = s.Adapters is null ? null : AdaptedLayoutOf(s);
        if (adapted is not null && !s.Parallel.IsSingle)
            throw new PlannerInputException("--peft with several GPUs or --grad-accum > 1 is not modelled: plan adapters on one GPU, one micro-batch");
        var layout = adapted?.Layout ?? LayoutOf(s.Model);
        var table = layout.Parameters;
        var galore = s.Optimizer.SelectGaLore(table);
        var spec = s.Optimizer.Spec;
        var p = s.Precision;
        // Several GPUs or micro-batches: the strategy's hooks (checked for compatibility first); none for one GPU.
        var hooks = s.Parallel.IsSingle ? null : s.Parallel.Hooks(s, layout, galore, rounding);
        var parts = layout.Parts;
        int n = parts.Count;
        var context = (hooks is null ? ContextOf(s, device) : new GraphContext(hooks.Compute, s.Stack.FlavorOn(device), s.Attention))
            with { LongSequence = longSequence };
        var graphs = adapted is null ? new OpGraph[n] : AdaptedGraphs(s, adapted, context);
        var roleParams = new int[n][];
        var uses = new int[table.Count]; // ops reading each parameter, over all parts: its gradient is complete after the last
        for (int i = 0; i < n; i++)
        {
            if (adapted is null) graphs[i] = GraphOf(s.Model, parts[i].Design, context);
            roleParams[i] = Bind(graphs[i], parts[i]);
            var roleUses = graphs[i].RoleUses;
            for (int r = 0; r < roleUses.Length; r++) uses[roleParams[i][r]] += roleUses[r];
        }

        var persistent = hooks?.Persistent ?? new CategoryBytes();
        foreach (long buffer in layout.Buffers) persistent.Add(MemoryCategory.Other, Rounding.Apply(buffer, rounding));
        bool paging = device == DeviceKind.Cuda && s.Stack.PagesStates;
        long paged = 0;
        var bound = new BoundParam[table.Count];
        var trainable = new bool[table.Count];
        for (int k = 0; k < table.Count; k++)
        {
            var t = table[k];
            trainable[k] = adapted?.IsTrainable(k) ?? true;
            var pk = adapted?.PrecisionOf(k, p) ?? p;
            if (hooks is null)
            {
                persistent.Add(MemoryCategory.Weights, adapted?.StoredBytes(k, p, rounding) ?? Rounding.Apply(t.Elements * p.WeightBytes, rounding));
                if (trainable[k])
                {
                    var states = StateLayout.Resident(t, galore[k], s.Optimizer, pk, s.Stack, rounding, paging, hostIsDevice: device == DeviceKind.Cpu);
                    persistent.Add(MemoryCategory.OptimizerStates, states.Total);
                    paged += states.Paged;
                }
            }
            long gradBytes = hooks?.GradBytes(k) ?? t.Elements * pk.GradientBytes;
            bound[k] = new BoundParam(t.Name, gradBytes, uses[k], spec.Layerwise && trainable[k] ? UpdateBytes(s, t, galore[k], pk, device) : -1) { Parameter = k };
        }
        var bindings = new BoundParam[n][];
        for (int i = 0; i < n; i++)
        {
            bindings[i] = new BoundParam[roleParams[i].Length];
            for (int r = 0; r < roleParams[i].Length; r++) bindings[i][r] = bound[roleParams[i][r]];
        }

        hooks?.Prepare(layout, graphs, bound, s.Checkpointing);
        bool perPart = hooks is { PerPart: true };

        var segments = new List<StepSegment>();
        var events = new EventLog();
        var sim = new GraphSimulator(events) { Hooks = hooks };
        // Close the events recorded so far as a segment that happens `repeat` times in a row; identical consecutive
        // segments merge.
        void Close(string phase, int repeat)
        {
            var drained = events.Drain();
            var seg = new StepSegment(phase, compact ? EventCompactor.Compact(drained, rounding) : drained, repeat);
            if (seg.Events.Length == 0) return;
            if (segments.Count > 0 && segments[^1].SameEventsAs(seg))
                segments[^1] = segments[^1] with { Repeat = segments[^1].Repeat + repeat };
            else segments.Add(seg);
        }
        foreach (var b in bound) b.Reset();
        if (hooks is not null)
        {
            hooks.StepStart(events);
            Close("micro-batch start", 1);
        }

        // Forward: a run of parts with the same graph records the same events (parts one by one when the hooks say so).
        for (int i = 0; i < n;)
        {
            int j = i + 1;
            while (!perPart && j < n && ReferenceEquals(graphs[j], graphs[i])) j++;
            bool block = parts[i].Design.Kind == PartKind.Block;
            hooks?.BeforeForward(i, events);
            sim.Forward(graphs[i], block && s.Checkpointing ? ForwardMode.Checkpointed : ForwardMode.Normal);
            hooks?.AfterForward(i, events);
            Close("forward: " + PhaseName(parts[i].Design.Kind), j - i);
            i = j;
        }
        // Backward, last part first; a run of equivalent parts is simulated once and the others take over its end state.
        for (int i = n - 1; i >= 0;)
        {
            int j = i - 1;
            while (!perPart && j >= 0 && Equivalent(graphs, bindings, j, i)) j--;
            bool recompute = parts[i].Design.Kind == PartKind.Block && s.Checkpointing;
            hooks?.BeforeBackward(i, events);
            if (recompute) sim.Forward(graphs[i], ForwardMode.Recompute);
            sim.Backward(graphs[i], bindings[i], inputKeptByCheckpoint: recompute);
            hooks?.AfterBackward(i, events);
            string phase = "backward: " + PhaseName(parts[i].Design.Kind) + (recompute ? " (recomputed)" : "");
            Close(phase, i - j);
            for (int m = j + 1; m < i; m++)
                for (int r = 0; r < bindings[i].Length; r++) bindings[m][r].CopyStateFrom(bindings[i][r]);
            i = j;
        }

        if (!spec.Layerwise)
        {
            if (hooks is null || !hooks.OptimizerStep(events, Close))
                EmitOptimizerStep(s, adapted, layout, galore, trainable, graphs, events, Close, device);
            foreach (var b in bound)
                if (b.GradAlive) events.Add(new StepEvent(Extent.Fixed(b.GradBytes), MemoryCategory.Gradients, true, "zero_grad: gradients freed"));
            hooks?.ZeroGrad(events);
            Close("zero_grad", 1);
        }
        return new StepProgram(persistent, segments, rounding) { PagedBytes = paged };
    }

    /// <summary>Phase label of a part in timelines and in <c>fit</c>'s "peak during".</summary>
    static string PhaseName(PartKind kind) => kind switch
    {
        PartKind.Embedding => "embedding",
        PartKind.Block => "block",
        PartKind.Head => "norm, lm_head, loss",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown part kind"),
    };

    /// <summary>The indices of the part's parameters in the order of its graph's roles; every role must be bound exactly once.</summary>
    static int[] Bind(OpGraph graph, LayoutPart part)
    {
        var roles = graph.ParamRoles;
        if (roles.Count != part.Roles.Count)
            throw new InvalidOperationException(
                $"{graph.Name} graph has {roles.Count} parameter roles, the layout binds {part.Roles.Count} ({string.Join(", ", part.Roles.Select(r => r.Role))})");
        var result = new int[roles.Count];
        if (roles.Count <= 32)
        {
            for (int r = 0; r < roles.Count; r++) result[r] = part.ParameterOf(roles[r]);
            return result;
        }
        // Hundreds of roles (one Linear per expert, transformers 4.x): look them up by name instead of scanning.
        var byRole = new Dictionary<string, int>(part.Roles.Count, StringComparer.Ordinal);
        foreach (var binding in part.Roles) byRole[binding.Role] = binding.Parameter;
        for (int r = 0; r < roles.Count; r++)
            result[r] = byRole.TryGetValue(roles[r], out int k) ? k : part.ParameterOf(roles[r]);
        return result;
    }

    /// <summary>Whether part <paramref name="a"/>'s backward (and optimizer step) records the same events as part
    /// <paramref name="b"/>'s: the same graph over distinct parameters of the same sizes and update costs, in the same state.</summary>
    static bool Equivalent(OpGraph[] graphs, BoundParam[][] bindings, int a, int b)
    {
        if (!ReferenceEquals(graphs[a], graphs[b])) return false;
        var x = bindings[a];
        var y = bindings[b];
        for (int r = 0; r < x.Length; r++)
            if (ReferenceEquals(x[r], y[r]) || !x[r].BehavesLike(y[r])) return false;
        return true;
    }

    /// <summary>Transient bytes of one parameter's update in this step (the refresh's SVD included when it happens).</summary>
    public static long UpdateBytes(StepSpec s, ParameterTensor t, bool galore, DeviceKind device) => UpdateBytes(s, t, galore, s.Precision, device);

    /// <summary>The same for a parameter kept in <paramref name="precision"/> (peft's float32 adapters).</summary>
    public static long UpdateBytes(StepSpec s, ParameterTensor t, bool galore, Precision precision, DeviceKind device)
    {
        var u = UpdateShape.For(t, galore, s.Optimizer, precision);
        long update = s.Stack.UpdateTransientBytes(u);
        return s.RefreshStep ? Math.Max(update, s.Stack.RefreshTransientBytes(u, device)) : update;
    }

    /// <summary>The optimizer step over the trainable parameters (every one, except the frozen base under peft).</summary>
    static void EmitOptimizerStep(StepSpec s, AdaptedLayout? adapted, ModelLayout layout, bool[] galore, bool[] trainable, OpGraph[] graphs,
        EventLog events, Action<string, int> close, DeviceKind device)
    {
        var table = layout.Parameters;
        var updateBytes = new long[table.Count];
        for (int k = 0; k < table.Count; k++)
            updateBytes[k] = trainable[k] ? UpdateBytes(s, table[k], galore[k], adapted?.PrecisionOf(k, s.Precision) ?? s.Precision, device) : 0;
        EmitUpdates(layout, galore, graphs, updateBytes, s.Stack.StepsAllAtOnce(s.Optimizer), s.RefreshStep, events, close, trainable);
    }

    /// <summary>
    /// The optimizer step as transients: with multi-tensor kernels (<paramref name="allAtOnce"/>) every parameter's
    /// <paramref name="updateBytes"/> at once, otherwise one parameter after another in forward order; parameters
    /// <paramref name="trainable"/> marks false (a frozen peft base) are skipped. Strategies that step per-parameter shards
    /// (FSDP2) call it with their own sizes.
    /// </summary>
    public static void EmitUpdates(ModelLayout layout, bool[] galore, IReadOnlyList<OpGraph> graphs, long[] updateBytes, bool allAtOnce,
        bool refresh, EventLog events, Action<string, int> close, bool[]? trainable = null)
    {
        var table = layout.Parameters;
        if (allAtOnce)
        {
            // Multi-tensor (_foreach_) kernels: every parameter's temporary at once (torch AdamW's sqrt(exp_avg_sq) list).
            long all = 0;
            for (int k = 0; k < table.Count; k++) all += updateBytes[k];
            events.Add(new StepEvent(Extent.Fixed(all), MemoryCategory.Other, false, "optimizer step: foreach temporaries"));
            events.Add(new StepEvent(Extent.Fixed(all), MemoryCategory.Other, true, "optimizer step: foreach temporaries freed"));
            close("optimizer step", 1);
            return;
        }
        var parts = layout.Parts;
        var roleOf = new string[table.Count];
        foreach (var part in parts)
            foreach (var r in part.Roles) roleOf[r.Parameter] ??= r.Role;
        void Update(int k)
        {
            if (trainable is { } tr && !tr[k]) return;
            var size = Extent.Fixed(updateBytes[k]);
            string what = galore[k] ? (refresh ? "project (refresh) + update" : "project + update") : "update";
            events.Add(new StepEvent(size, MemoryCategory.Other, false, $"optimizer step: {what} {roleOf[k]}"));
            events.Add(new StepEvent(size, MemoryCategory.Other, true, $"optimizer step: {roleOf[k]} done"));
        }
        // Parts in forward order, each updating the parameters it owns; consecutive parts with the same graph whose owned
        // parameters have the same update costs are updated once with a repeat count.
        bool SameUpdates(int a, int b)
        {
            if (!ReferenceEquals(graphs[a], graphs[b]) || parts[a].Owned.Count != parts[b].Owned.Count) return false;
            for (int r = 0; r < parts[a].Owned.Count; r++)
                if (updateBytes[parts[a].Owned[r]] != updateBytes[parts[b].Owned[r]] || galore[parts[a].Owned[r]] != galore[parts[b].Owned[r]]) return false;
            return true;
        }
        for (int i = 0; i < parts.Count;)
        {
            int j = i + 1;
            while (j < parts.Count && SameUpdates(i, j)) j++;
            foreach (int k in parts[i].Owned) Update(k);
            close(parts[i].Design.Kind == PartKind.Block ? "optimizer step: block" : "optimizer step", j - i);
            i = j;
        }
    }
}
