using GaLore.Profiler.Validation;

namespace GaLore.Profiler.Tests.Validation;

/// <summary>The rows one lent GPU session measures of this project's kernels (scripts/gpu/run-cuda-validation.sh).</summary>
public class CudaSessionMatrixTests
{
    [Fact]
    public void Starts_with_the_7b_row_and_keeps_the_full_matrix_keys_so_a_later_session_resumes()
    {
        var session = ValidationMatrix.Named("cuda-session");
        Assert.Equal("llama-7b", session[0].Model.Name);
        Assert.Equal(session.Count, session.Select(c => c.Key).Distinct().Count());
        var full = ValidationMatrix.Cuda().Select(c => c.Key).ToHashSet();
        // Every capped run of the full matrix is in the session (fit verdicts), and most rows are shared with it.
        Assert.All(ValidationMatrix.Cuda().Where(c => c.MemoryCapBytes is not null), c => Assert.Contains(c.Key, session.Select(s => s.Key)));
        Assert.True(session.Count(c => full.Contains(c.Key)) >= session.Count - 1);
    }
}
