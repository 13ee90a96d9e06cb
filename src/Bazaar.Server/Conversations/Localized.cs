using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Bazaar.Server.Conversations;

/// <summary>A bot text in every supported language; Spanish is optional and falls back to English.</summary>
public sealed record Localized(string En, string Ru, string? Es = null)
{
    /// <summary>The text in a language: the operator's wording from the dashboard's settings if there is one, else the compiled one.</summary>
    public string In(string language) => TextOverrides.Find(this, language) ?? Compiled(language);

    /// <summary>The text as compiled in, ignoring the dashboard's overrides.</summary>
    public string Compiled(string language) => language switch
    {
        Languages.Russian => Ru,
        Languages.Spanish => Es ?? En,
        _ => En,
    };
}

/// <summary>
/// Bot texts reworded by the owner (Dashboard → Settings), by text instance and language. Process-wide like the
/// static texts they replace; <see cref="Dashboard.RuntimeSettings"/> keeps them in step with the database.
/// </summary>
public static class TextOverrides
{
    private static readonly ConditionalWeakTable<Localized, ConcurrentDictionary<string, string>> Table = new();
    private static int _count;

    public static string? Find(Localized text, string language)
    {
        if (Volatile.Read(ref _count) == 0 || !Table.TryGetValue(text, out var byLanguage)) return null;
        if (byLanguage.TryGetValue(language, out var s)) return s;
        // Spanish without its own text shows the English one, reworded or not.
        return language == Languages.Spanish && text.Es is null ? byLanguage.GetValueOrDefault(Languages.English) : null;
    }

    /// <summary>Sets (or, with null, removes) the override of one text in one language.</summary>
    public static void Set(Localized text, string language, string? value)
    {
        var byLanguage = Table.GetValue(text, _ => new ConcurrentDictionary<string, string>());
        if (value is null)
        {
            if (byLanguage.TryRemove(language, out _)) Interlocked.Decrement(ref _count);
        }
        else if (byLanguage.TryAdd(language, value))
        {
            Interlocked.Increment(ref _count);
        }
        else
        {
            byLanguage[language] = value;
        }
    }
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
