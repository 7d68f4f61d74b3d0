using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EmotionCluster.Hosting;

/// <summary>
/// The one way a settings section enters a host (each section is registered in one place: NodeSettings and
/// HttpSettings by the node host, DiscoverySettings by Management, PersistenceSettings by the evaluator,
/// StreamingSettings by streaming): the options pattern — <c>AddOptions&lt;T&gt;().Bind(section)</c>, the class's
/// own check as the options validator, <c>ValidateOnStart</c> — and the value itself as a singleton
/// (<c>IOptions&lt;T&gt;.Value</c>), so parts ask for <c>T</c> or <c>IOptions&lt;T&gt;</c>.
/// </summary>
/// <remarks>
/// The settings classes' checks throw <see cref="ArgumentException"/> with a message that names the key and the fix;
/// that message is the validation failure, word for word (the options defaults name neither). A host that composes
/// itself from a section (roles, ports) gets the validated value back at once: a bad value stops it before it is built,
/// with <see cref="SettingsException"/> carrying that message.
/// </remarks>
public static class SettingsRegistration
{
    /// <summary>
    /// Registers section <paramref name="section"/> as <typeparamref name="T"/> (bound, <paramref name="adjust"/>ed,
    /// checked by <paramref name="validate"/> at start) and returns the same value, bound and checked now.
    /// </summary>
    /// <param name="validate">The class's check: throws <see cref="ArgumentException"/> (or InvalidOperationException,
    /// FormatException) naming the key and the fix.</param>
    /// <param name="adjust">Defaults that depend on the host (e.g. the roles of a one-shot run), applied after binding.</param>
    /// <exception cref="SettingsException">a value that does not bind or fails <paramref name="validate"/>.</exception>
    public static T AddSettings<T>(this IServiceCollection services, IConfiguration configuration, string section,
        Action<T> validate, Action<T>? adjust = null) where T : class, new()
    {
        T value = Read(configuration, section, validate, adjust);
        OptionsBuilder<T> options = services.AddOptions<T>().Bind(configuration.GetSection(section));
        if (adjust is not null) options.PostConfigure(adjust);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new SettingsValidator<T>(validate));
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return value;
    }

    /// <summary>Section <paramref name="section"/> bound to a new <typeparamref name="T"/>, adjusted and checked.</summary>
    /// <exception cref="SettingsException">a value that does not bind or fails <paramref name="validate"/>.</exception>
    public static T Read<T>(IConfiguration configuration, string section, Action<T> validate, Action<T>? adjust = null) where T : class, new()
    {
        var value = new T();
        try
        {
            configuration.GetSection(section).Bind(value);
            adjust?.Invoke(value);
            validate(value);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new SettingsException(e is InvalidOperationException && e.InnerException is { } inner
                ? $"{e.Message} {inner.Message}" // the binder: "Failed to convert configuration value at 'KEY' to type …" and why
                : e.Message, e);
        }
        return value;
    }

    /// <summary>The class's check as an options validator: its message is the failure.</summary>
    private sealed class SettingsValidator<T>(Action<T> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            try
            {
                validate(options);
                return ValidateOptionsResult.Success;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}

/// <summary>A settings value that does not bind or is refused by its class's check; the message names the key and the fix.</summary>
public sealed class SettingsException(string message, Exception? inner = null) : ArgumentException(message, inner);
