using Microsoft.Extensions.Configuration;
using Xunit;

namespace EmotionCluster.Cli.Tests;

/// <summary>
/// <c>--trainers</c>'s default (<see cref="TrainingCommands.DefaultTrainers"/>): the environment's
/// <c>EmotionCluster:Training:Trainers</c>, bound as a trainer node binds its section; a bad value is refused naming the
/// variable and the fix.
/// </summary>
public sealed class TrainersSettingTests
{
    [Fact]
    public void Without_the_setting_a_run_trains_on_this_node() =>
        Assert.Equal(1, TrainingCommands.DefaultTrainers(InMemoryEnvironment.Of()));

    [Fact]
    public void The_environment_gives_the_number_of_trainer_nodes() =>
        Assert.Equal(3, TrainingCommands.DefaultTrainers(InMemoryEnvironment.Of(("EmotionCluster:Training:Trainers", "3"))));

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("two")]
    public void A_bad_number_is_refused_naming_the_variable_and_the_fix(string value)
    {
        var e = Assert.Throws<CliException>(() => TrainingCommands.DefaultTrainers(InMemoryEnvironment.Of(("EmotionCluster:Training:Trainers", value))));
        Assert.StartsWith(TrainingCommands.TrainersVariable, e.Message);
        Assert.EndsWith("whole number of trainer nodes, 1 or more" + (value == "two" ? "." : ""), e.Message);
    }

    [Fact]
    public void A_key_of_the_training_section_that_is_not_a_setting_is_refused_with_the_fix()
    {
        var e = Assert.Throws<CliException>(() => TrainingCommands.DefaultTrainers(InMemoryEnvironment.Of(("EmotionCluster:Training:Epochs", "5"))));
        Assert.Contains("Epochs is not a setting", e.Message);
    }
}
