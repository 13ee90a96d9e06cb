using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Bazaar.Server.Conversations;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Every bot text the owner may reword: the static <see cref="Localized"/> fields of the features' *Texts classes,
/// named Class.Field. A reworded text is stored as the setting Texts:{Class.Field}:{language}.
/// </summary>
internal static partial class BotTextCatalog
{
    public const int MaxLength = 4000;

    public static readonly IReadOnlyList<(string Name, Localized Text)> All =
        typeof(BotTextCatalog).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Texts", StringComparison.Ordinal))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Where(f => f.FieldType == typeof(Localized) && f.IsInitOnly)
                .Select(f => ($"{t.Name}.{f.Name}", (Localized)f.GetValue(null)!)))
            .ToList();

    private static readonly Dictionary<string, Localized> ByName = All.ToDictionary(x => x.Name, x => x.Text, StringComparer.Ordinal);

    public static Localized? Find(string name) => ByName.GetValueOrDefault(name);

    public static string Key(string name, string language) => $"{RuntimeSettings.TextsPrefix}{name}:{language}";

    public static bool TryParseKey(string key, out Localized text, out string language)
    {
        text = null!;
        language = "";
        if (!key.StartsWith(RuntimeSettings.TextsPrefix, StringComparison.OrdinalIgnoreCase)) return false;
        var rest = key[RuntimeSettings.TextsPrefix.Length..];
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || Find(rest[..colon]) is not { } t || !Languages.Supported.Contains(rest[(colon + 1)..])) return false;
        text = t;
        language = rest[(colon + 1)..];
        return true;
    }

    [GeneratedRegex(@"(?<!\{)\{(\d+)[^{}]*\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"<\s*(/?)\s*([a-zA-Z-]+)[^>]*>")]
    private static partial Regex Tag();

    /// <summary>The tags Telegram's HTML parse mode understands.</summary>
    private static readonly HashSet<string> Tags = new(StringComparer.OrdinalIgnoreCase)
        { "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler", "blockquote", "span" };

    /// <summary>
    /// Why a new wording cannot replace <paramref name="original"/> (null when it can): it must fill the same
    /// placeholders ({0}, {1} …) the code fills, and use only balanced tags Telegram accepts, or every message
    /// with it would fail.
    /// </summary>
    public static string? Problem(string original, string candidate)
    {
        if (candidate.Trim().Length == 0) return "A text cannot be empty; clear the override to go back to the built-in wording.";
        if (candidate.Length > MaxLength) return $"A text is at most {MaxLength} characters.";
        var args = Placeholder().Matches(original).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        var formatted = IsFormat(original, args);
        if (formatted && !IsFormat(candidate, args))
        {
            return args == 0
                ? "This text takes no placeholders; write a literal brace as {{ or }}."
                : $"This text is filled with {args} value(s), {{0}} to {{{args - 1}}}; use only those, and write a literal brace as {{{{ or }}}}.";
        }
        var open = new Stack<string>();
        foreach (Match m in Tag().Matches(candidate))
        {
            var name = m.Groups[2].Value.ToLowerInvariant();
            if (!Tags.Contains(name)) return $"<{name}> is not a tag Telegram shows; use b, i, u, s, code, pre, a, blockquote or tg-spoiler.";
            if (m.Groups[1].Value.Length == 0) open.Push(name);
            else if (open.Count == 0 || open.Pop() != name) return $"</{name}> does not close the tag before it.";
        }
        return open.Count > 0 ? $"<{open.Peek()}> is never closed." : null;
    }

    private static bool IsFormat(string text, int args)
    {
        try
        {
            _ = string.Format(CultureInfo.InvariantCulture, text, Enumerable.Repeat((object)"x", args).ToArray());
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
