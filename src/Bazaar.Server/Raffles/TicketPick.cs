using System.Globalization;
using System.Text.RegularExpressions;

namespace Bazaar.Server.Raffles;

/// <summary>What a customer asked for: exact numbers ("5, 12, 99", "10-15") or a count of random ones ("random 3").</summary>
public sealed record TicketPick(IReadOnlyList<int> Numbers, int RandomCount)
{
    public bool IsRandom => RandomCount > 0;

    public static TicketPick Exact(IEnumerable<int> numbers) => new(numbers.Distinct().Order().ToList(), 0);
    public static TicketPick Random(int count) => new([], count);

    private static readonly Regex RandomPattern = new(@"^\s*(random|rand|r|al\s*azar|aleatorio|случайн\w*)\s*(\d{1,5})?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex Part = new(@"^\s*(\d{1,7})\s*(?:-\s*(\d{1,7}))?\s*$", RegexOptions.CultureInvariant);

    /// <summary>Parses typed text; null when it is not a pick. A range is capped so "1-9999999" cannot build a huge list.</summary>
    public static TicketPick? Parse(string? text, int maxCount = 1000)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var r = RandomPattern.Match(text);
        if (r.Success) return Random(r.Groups[2].Success ? int.Parse(r.Groups[2].Value, CultureInfo.InvariantCulture) : 1) is { RandomCount: > 0 } p ? p : null;
        var numbers = new List<int>();
        foreach (var piece in text.Split([',', ';', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                     .Aggregate(new List<string>(), JoinDashes))
        {
            var m = Part.Match(piece);
            if (!m.Success) return null;
            var a = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var b = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : a;
            if (b < a) (a, b) = (b, a);
            if (b - a + 1 > maxCount || numbers.Count + (b - a + 1) > maxCount) return null;
            for (var n = a; n <= b; n++) numbers.Add(n);
        }
        return numbers.Count == 0 ? null : Exact(numbers);
    }

    // "10 - 15" splits into "10", "-", "15" on spaces: glue them back.
    private static List<string> JoinDashes(List<string> acc, string s)
    {
        if (acc.Count > 0 && (s.StartsWith('-') || acc[^1].EndsWith('-'))) acc[^1] += s;
        else acc.Add(s);
        return acc;
    }
}
