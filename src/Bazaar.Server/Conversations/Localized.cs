namespace Bazaar.Server.Conversations;

/// <summary>A bot text in every supported language.</summary>
public sealed record Localized(string En, string Ru)
{
    public string In(string language) => language == Languages.Russian ? Ru : En;
}

public static class Languages
{
    public const string English = "en";
    public const string Russian = "ru";
    public static readonly string[] Supported = [English, Russian];

    /// <summary>Telegram's language_code ("ru", "ru-RU", "en-US", null) to a supported language.</summary>
    public static string FromCode(string? code) =>
        code is not null && code.StartsWith("ru", StringComparison.OrdinalIgnoreCase) ? Russian : English;
}
