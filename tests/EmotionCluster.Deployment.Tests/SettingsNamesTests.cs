using EmotionCluster.Hosting;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>The name check the deployment tests rely on accepts the settings and rejects near misses.</summary>
public sealed class SettingsNamesTests
{
    [Fact]
    public void Sections_are_found_by_reflection()
    {
        Assert.Equal(typeof(NodeSettings), SettingsNames.Sections["Node"]);
        Assert.Equal(typeof(HttpSettings), SettingsNames.Sections["Http"]);
        Assert.Equal(typeof(DiscoverySettings), SettingsNames.Sections["Discovery"]);
        Assert.Equal(typeof(EmotionCluster.Evaluator.PersistenceSettings), SettingsNames.Sections["Persistence"]);
        Assert.Equal(typeof(EmotionCluster.TrainingActors.TrainerOptions), SettingsNames.Sections["Training"]);
        Assert.Equal(typeof(EmotionCluster.Streaming.StreamingSettings), SettingsNames.Sections["Streaming"]);
    }

    [Theory]
    [InlineData("EmotionCluster__Node__Port")]
    [InlineData("EmotionCluster__Node__SeedNodes__0")]
    [InlineData("EmotionCluster__Node__Roles__12")]
    [InlineData("EmotionCluster__Http__Token")]
    [InlineData("EmotionCluster__Discovery__PodLabelSelector")]
    [InlineData("EmotionCluster__Persistence__ConnectionString")]
    [InlineData("EmotionCluster__Training__BestModelOutput")]
    [InlineData("EmotionCluster__Streaming__ModelPath")]
    public void Accepts_settings(string name) => Assert.Null(SettingsNames.Problem(name));

    [Theory]
    [InlineData("EmotionCluster__Node__Prot", "no settable property 'Prot'")]
    [InlineData("EmotionCluster__node__Port", "no settings class has section EmotionCluster:node")]
    [InlineData("EmotionCluster__Node__Roles", "is a list")]
    [InlineData("EmotionCluster__Node__Roles__x", "is not a whole number")]
    [InlineData("EmotionCluster__Node__Port__0", "is not a list")]
    [InlineData("EmotionCluster__Http__LivePath", "no settable property 'LivePath'")] // a constant, not a setting
    [InlineData("EmotionCluster__Persistence__Password", "no settable property 'Password'")]
    [InlineData("EmotionCluster__Trainer__Epochs", "no settings class has section EmotionCluster:Trainer")]
    [InlineData("EmotionCluster__Node", "expected EmotionCluster__Section__Property")]
    public void Rejects_near_misses(string name, string why) => Assert.Contains(why, SettingsNames.Problem(name));

    [Fact]
    public void Binding_reads_the_environment_as_the_node_does()
    {
        var s = SettingsNames.Bind(new Dictionary<string, string>
        {
            ["EmotionCluster__Node__Port"] = "4053",
            ["EmotionCluster__Node__Roles__0"] = "extractor",
            ["EmotionCluster__Node__Roles__1"] = "trainer",
            ["EmotionCluster__Discovery__Method"] = "kubernetes",
            ["EmotionCluster__Http__Port"] = "9090",
        });
        Assert.Equal(4053, s.Node.Port);
        Assert.Equal(["extractor", "trainer"], s.Node.Roles);
        Assert.Equal("kubernetes", s.Discovery.Method);
        Assert.Equal(9090, s.Http.Port);
        Assert.Equal("127.0.0.1", s.Http.Hostname);
    }
}
