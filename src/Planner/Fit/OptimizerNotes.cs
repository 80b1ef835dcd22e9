using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Fit;

/// <summary>
/// What <c>fit</c> says about the optimizer beyond the verdict: the family's own note (<see cref="OptimizerModel.Note"/>),
/// states kept in host RAM, and what paging changes. bitsandbytes' paged states (<c>paged_*</c>) come from
/// <c>cudaMallocManaged</c>: once prefetched they occupy the GPU (counted in the peak), outside PyTorch's allocator (not in
/// <c>torch.cuda.memory_allocated</c>); when the card is full the driver evicts them to host RAM and migrates them back
/// for each parameter's update — the run proceeds, much slower, which is not a fit.
/// </summary>
public static class OptimizerNotes
{
    /// <summary>Adds the notes for a query and its estimate to <paramref name="notes"/>.</summary>
    public static void Add(FitQuery q, MemoryEstimate estimate, bool fits, List<string> notes)
    {
        var setup = q.Step.Optimizer;
        if (setup.Spec.Model.Note(setup) is { } note) notes.Add(note);
        var table = StepCompiler.TableOf(q.Step.Model);
        long host = StateLayout.HostBytes(table, setup.SelectGaLore(table), setup, q.Step.Precision, q.Step.Stack);
        if (host > 0) notes.Add($"optimizer states in host RAM: {NoteUnits.Gib(host)} (not on the GPU, not in the peak)");
        if (estimate.PagedBytes <= 0) return;
        notes.Add(fits
            ? $"paged optimizer states: {NoteUnits.Gib(estimate.PagedBytes)} in CUDA unified memory, counted in the peak as device memory " +
              "(on the GPU once prefetched; outside PyTorch's allocator, so not in the allocated or reserved peaks)"
            : $"paged optimizer states: {NoteUnits.Gib(estimate.PagedBytes)} in CUDA unified memory. Over the card's capacity the driver evicts " +
              "them to host RAM and pages them back for every update: the run can proceed, much more slowly — that is not a fit");
    }
}
