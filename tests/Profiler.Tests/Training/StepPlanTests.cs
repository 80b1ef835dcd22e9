using GaLore.Profiler.Training;

namespace GaLore.Profiler.Tests.Training;

public sealed class StepPlanTests
{
    [Theory]
    [InlineData(1, 2, 200, 199)]   // window 199–200 holds step 200
    [InlineData(1, 2, 2, 1)]       // window 1–2 holds step 2
    [InlineData(0, 1, 50, 0)]      // step 0 refreshes
    [InlineData(3, 1, 3, 3)]
    [InlineData(4, 1, 3, 6)]       // next multiple of 3 after 4 is 6
    [InlineData(5, 10, 4, 5)]      // a window longer than T always holds a refresh
    [InlineData(2, 3, 1, 2)]
    public void Warmup_is_the_smallest_that_puts_a_refresh_in_the_window(int minWarmup, int measured, int gap, int expectedWarmup)
    {
        var plan = StepPlan.Create(minWarmup, measured, gap);
        Assert.Equal(expectedWarmup, plan.WarmupSteps);
        Assert.True(plan.WarmupSteps >= minWarmup);
        Assert.NotEmpty(plan.RefreshStepsMeasured);
        Assert.All(plan.RefreshStepsMeasured, s => Assert.True(s % gap == 0 && plan.IsMeasured(s)));
    }

    [Fact]
    public void Without_galore_the_warmup_is_kept()
    {
        var plan = StepPlan.Create(2, 3, null);
        Assert.Equal((2, 3, 5), (plan.WarmupSteps, plan.MeasuredSteps, plan.TotalSteps));
        Assert.Empty(plan.RefreshStepsMeasured);
        Assert.False(plan.IsRefresh(0));
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StepPlan.Create(-1, 1, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepPlan.Create(0, 0, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepPlan.Create(0, 1, 0));
    }
}
