namespace GaLore.Planner.Parallel;

/// <summary>
/// DeepSpeed ZeRO-3's parameter coordinator (<c>deepspeed/runtime/zero/partitioned_param_coordinator.py</c>, 0.16.5) as a
/// schedule: for each module in the recorded trace (every module that owns parameters, forward then backward), which full
/// parameters are gathered before it runs and which are released after. Before a module runs it all-gathers its own
/// partitioned parameters, then prefetches the next parameters of the trace that are not yet available, taking whole
/// parameters until it has prefetched at least <c>min(stage3_max_live_parameters − available, stage3_prefetch_bucket_size)</c>
/// elements. After it ran, its parameters are released unless the prefetcher already passed a later use of them, or they are
/// used again within <c>stage3_max_reuse_distance</c> elements of the trace. Parameters of at most
/// <c>stage3_param_persistence_threshold</c> elements are persistent: whole on every GPU, never gathered or released.
/// </summary>
public static class Zero3Fetcher
{
    /// <summary>One module of the trace: its name (for labels) and the parameter indices it owns.</summary>
    public readonly record struct Module(string Name, int[] Parameters);

    /// <summary>What one trace step does: the parameters gathered before the module runs and released after.</summary>
    public sealed record Step(int[] Gathered, int[] Released);

    /// <summary>Runs the coordinator over <paramref name="trace"/>; <paramref name="numel"/> are the parameters' sizes.
    /// Every parameter still gathered at the end is released after the last step (the step ends with all of them partitioned).</summary>
    public static Step[] Schedule(IReadOnlyList<Module> trace, IReadOnlyList<long> numel, ZeroConfig config)
    {
        int count = numel.Count;
        var persistent = new bool[count];
        for (int k = 0; k < count; k++) persistent[k] = numel[k] <= config.ParamPersistenceThreshold;
        // Each module's parameters once, sorted (DeepSpeed sorts them by ds_id, which follows registration order).
        var own = new int[trace.Count][];
        var mark = new bool[count];
        for (int s = 0; s < trace.Count; s++)
        {
            var list = new List<int>();
            foreach (int p in trace[s].Parameters)
                if (!mark[p]) { mark[p] = true; list.Add(p); }
            foreach (int p in list) mark[p] = false;
            list.Sort();
            own[s] = list.ToArray();
        }
        // The parameter trace: every module's parameters tagged with the module's step.
        var queue = new List<(int Param, int StepId)>();
        for (int s = 0; s < trace.Count; s++)
            foreach (int p in own[s]) queue.Add((p, s));
        int head = 0;
        var available = new bool[count];
        var mostRecent = new long[count];
        Array.Fill(mostRecent, long.MinValue);
        var prefetched = new bool[count];
        var release = new bool[count];
        long nAvailable = 0;
        var steps = new Step[trace.Count];
        for (int s = 0; s < trace.Count; s++)
        {
            var gathered = new List<int>();
            // 1. Fetch the module's own parameters.
            foreach (int p in own[s])
                if (!persistent[p] && !available[p])
                {
                    available[p] = true;
                    nAvailable += numel[p];
                    gathered.Add(p);
                }
            // 2. Pop the module's own entries off the queue (unless a prefetch already did).
            int notFetched = 0;
            foreach (int p in own[s])
                if (mostRecent[p] < s) notFetched++;
            int discarded = 0;
            while (head < queue.Count && discarded < notFetched)
            {
                var (p, step) = queue[head++];
                mostRecent[p] = step;
                discarded++;
            }
            // 3. Prefetch whole parameters until at least min(max live − available, bucket) elements are in flight.
            long budget = Math.Min(config.MaxLiveParameters - nAvailable, config.PrefetchBucketSize);
            long prefetching = 0;
            var batch = new List<int>();
            while (head < queue.Count && prefetching < budget)
            {
                var (p, step) = queue[head++];
                mostRecent[p] = Math.Max(mostRecent[p], step);
                if (persistent[p] || available[p] || prefetched[p]) continue;
                prefetched[p] = true;
                batch.Add(p);
                prefetching += numel[p];
            }
            foreach (int p in batch)
            {
                prefetched[p] = false;
                available[p] = true;
                nAvailable += numel[p];
                gathered.Add(p);
            }
            int next = s + 1;
            // 4. After the module: release its parameters unless the prefetcher passed a later use of them or they are used
            // again within the reuse distance.
            int candidates = 0;
            foreach (int p in own[s])
                if (!persistent[p] && mostRecent[p] <= next) { release[p] = true; candidates++; }
            long traversed = 0;
            for (int m = next; m < trace.Count && candidates > 0; m++)
            {
                if (traversed >= config.MaxReuseDistance) break;
                foreach (int p in own[m])
                {
                    if (release[p]) { release[p] = false; candidates--; }
                    traversed += numel[p];
                }
            }
            var released = new List<int>();
            foreach (int p in own[s])
            {
                if (release[p] && available[p])
                {
                    available[p] = false;
                    nAvailable -= numel[p];
                    released.Add(p);
                }
                release[p] = false;
            }
            if (s == trace.Count - 1)
                for (int p = 0; p < count; p++)
                    if (available[p])
                    {
                        available[p] = false;
                        released.Add(p);
                    }
            steps[s] = new Step(gathered.ToArray(), released.ToArray());
        }
        return steps;
    }
}
