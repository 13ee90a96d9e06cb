namespace Bazaar.Server.Conversations;

/// <summary>A bot text in every supported language; Spanish is optional and falls back to English.</summary>
public sealed record Localized(string En, string Ru, string? Es = null)
{
    public string In(string language) => language switch
    {
        Languages.Russian => Ru,
        Languages.Spanish => Es ?? En,
        _ => En,
    };
}

public static class Languages
{
    public const string English = "en";
    public const string Russian = "ru";
    /// <summary>Spoken by many WhatsApp customers; features that have Spanish texts show them, others English.</summary>
    public const string Spanish = "es";
    /// <summary>The languages every feature has texts in (the ones setMyCommands registers).</summary>
    public static readonly string[] Supported = [English, Russian];

    /// <summary>Telegram's language_code ("ru", "ru-RU", "es-AR", "en-US", null) to a known language.</summary>
    public static string FromCode(string? code) =>
        code is null ? English
        : code.StartsWith("ru", StringComparison.OrdinalIgnoreCase) ? Russian
        : code.StartsWith("es", StringComparison.OrdinalIgnoreCase) ? Spanish
        : English;
}
