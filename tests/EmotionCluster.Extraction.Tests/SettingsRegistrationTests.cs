using EmotionCluster.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace EmotionCluster.Extraction.Tests;

/// <summary>
/// <see cref="SettingsRegistration.AddSettings"/>: a section bound through the options pattern, checked by its class
/// (the message that names the key and the fix, not the options defaults), at registration and again at start.
/// </summary>
public class SettingsRegistrationTests
{
    private static IConfigurationRoot Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void A_good_section_is_the_value_returned_the_singleton_and_the_options_value()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var config = Config(("EmotionCluster:Node:Port", "4053"), ("EmotionCluster:Node:Roles:0", "extractor"), ("EmotionCluster:Node:ShardCount", "7"));
        NodeSettings returned = builder.Services.AddSettings<NodeSettings>(config, NodeSettings.Section, s => s.Validate());
        using IHost host = builder.Build();

        NodeSettings resolved = host.Services.GetRequiredService<NodeSettings>();
        Assert.Same(host.Services.GetRequiredService<IOptions<NodeSettings>>().Value, resolved);
        Assert.Equal((4053, 7, "extractor"), (returned.Port, returned.ShardCount, string.Join(',', returned.Roles)));
        Assert.Equal((4053, 7, "extractor"), (resolved.Port, resolved.ShardCount, string.Join(',', resolved.Roles)));
    }

    [Fact]
    public void A_bad_value_is_refused_at_registration_with_the_class_message()
    {
        var services = new ServiceCollection();
        var e = Assert.Throws<SettingsException>(() =>
            services.AddSettings<HttpSettings>(Config(("EmotionCluster:Http:Port", "70000")), HttpSettings.Section, h => h.Validate()));
        Assert.Equal("EmotionCluster:Http: Port 70000 is outside -1..65535 (-1 turns the endpoint off, 0 picks a free port)", e.Message);
    }

    [Fact]
    public void A_value_that_does_not_bind_is_refused_naming_the_key()
    {
        var e = Assert.Throws<SettingsException>(() =>
            new ServiceCollection().AddSettings<NodeSettings>(Config(("EmotionCluster:Node:Port", "fourthousand")), NodeSettings.Section, s => s.Validate()));
        Assert.Contains("'EmotionCluster:Node:Port'", e.Message);
        Assert.Contains("fourthousand", e.Message);
    }

    [Fact]
    public async Task A_value_that_turns_bad_before_the_start_fails_the_start_with_the_class_message()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        IConfigurationRoot config = Config(("EmotionCluster:Http:Port", "8080"));
        builder.Services.AddSettings<HttpSettings>(config, HttpSettings.Section, h => h.Validate());
        config["EmotionCluster:Http:Port"] = "-7"; // e.g. a reloaded file: ValidateOnStart checks what the host would use
        using IHost host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["EmotionCluster:Http: Port -7 is outside -1..65535 (-1 turns the endpoint off, 0 picks a free port)"], e.Failures);
    }

    [Fact]
    public void Adjust_sets_host_defaults_before_the_check()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        NodeSettings returned = builder.Services.AddSettings<NodeSettings>(Config(), NodeSettings.Section, s => s.Validate(),
            adjust: s => s.Roles = [ClusterRoles.Coordinator]);
        using IHost host = builder.Build();
        Assert.Equal([ClusterRoles.Coordinator], returned.Roles);
        Assert.Equal([ClusterRoles.Coordinator], host.Services.GetRequiredService<NodeSettings>().Roles);
    }
}
