using System.Text.RegularExpressions;

namespace EmotionCluster.Corpora;

/// <summary>Gender spellings → "female" / "male".</summary>
public static class Genders
{
    public const string Female = "female", Male = "male";

    /// <summary>"F", "female", "Woman" → female; "M", "male", "Man" → male; anything else (empty, "unknown") → null.</summary>
    public static string? Normalize(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "f" or "female" or "w" or "woman" or "women" => Female,
        "m" or "male" or "man" or "men" => Male,
        _ => null,
    };
}
