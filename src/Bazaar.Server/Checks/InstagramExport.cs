using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bazaar.Server.Conversations;

namespace Bazaar.Server.Checks;

/// <summary>One account in a follow list.</summary>
public sealed record FollowAccount(string Username, string? FullName, string ProfileUrl);

/// <summary>An account's followers and the accounts it follows.</summary>
public sealed record FollowLists(IReadOnlyList<FollowAccount> Followers, IReadOnlyList<FollowAccount> Following);

/// <summary>
/// A check that retrying cannot help (a wrong file, a private or unknown account, the live source off or logged out):
/// it ends FAILED at once with its credit back. <see cref="Exception.Message"/> is the English reason kept on the check;
/// <see cref="Text"/>, when set, is what the user is told in their language ({0} the account, {1} <see cref="Arg"/>).
/// </summary>
public sealed class CheckInputError(string code, string message, Localized? text = null, object? arg = null) : Exception(message)
{
    public string Code { get; } = code;
    public Localized? Text { get; } = text;
    public object? Arg { get; } = arg;
}

public sealed class ExportLimits
{
    /// <summary>The archive as sent (Telegram bots can download up to 20 MB).</summary>
    public long MaxArchiveBytes { get; set; } = 20 * 1024 * 1024;
    public int MaxEntries { get; set; } = 5_000;
    /// <summary>The follow lists read out, all together.</summary>
    public long MaxJsonBytes { get; set; } = 50 * 1024 * 1024;
    /// <summary>Uncompressed over compressed size of one entry; JSON compresses well, bombs compress far better.</summary>
    public int MaxCompressionRatio { get; set; } = 100;
}

/// <summary>
/// Reads Instagram's "Download your information" ZIP (JSON format): <c>followers_*.json</c> and <c>following.json</c>
/// wherever they sit. Both shapes Instagram has used are read: a top-level array of items with
/// <c>string_list_data</c>, and an object with <c>relationships_following</c> / <c>relationships_followers</c>.
/// Refuses archives over the size or entry limits, entries whose names climb out of the archive, and entries
/// whose compression ratio or total size gives them away as a bomb; only the follow lists are ever decompressed.
/// </summary>
public static partial class InstagramExport
{
    [GeneratedRegex(@"^followers(_\d+)?\.json$", RegexOptions.IgnoreCase)]
    private static partial Regex FollowersName();

    public static FollowLists Read(Stream zip, long length, ExportLimits limits)
    {
        if (length > limits.MaxArchiveBytes)
            throw new CheckInputError("archive_too_large", $"The archive is larger than {limits.MaxArchiveBytes / (1024 * 1024)} MB. Export only \"Followers and following\" in JSON format.",
                CheckTexts.ExportTooLarge, limits.MaxArchiveBytes / (1024 * 1024));
        ZipArchive archive;
        try { archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException) { throw NotAnExport("not_a_zip"); }
        using (archive)
        {
            if (archive.Entries.Count > limits.MaxEntries)
                throw new CheckInputError("too_many_entries", $"The archive holds more than {limits.MaxEntries} files. Export only \"Followers and following\".",
                    CheckTexts.ExportTooManyEntries, limits.MaxEntries);
            var followers = new List<FollowAccount>();
            var following = new List<FollowAccount>();
            var sawFollowers = false;
            var sawFollowing = false;
            long budget = limits.MaxJsonBytes;
            foreach (var entry in archive.Entries)
            {
                if (IsTraversal(entry.FullName))
                    throw new CheckInputError("path_traversal", "The archive contains a file with an unsafe path, so it was refused. Send the ZIP exactly as Instagram made it.",
                        CheckTexts.ExportTraversal);
                var name = entry.Name;
                var isFollowers = FollowersName().IsMatch(name);
                var isFollowing = name.Equals("following.json", StringComparison.OrdinalIgnoreCase);
                if (!isFollowers && !isFollowing) continue;
                if (entry.Length > budget || (entry.CompressedLength > 0 ? entry.Length / entry.CompressedLength : entry.Length) > limits.MaxCompressionRatio)
                    throw Bomb();
                var json = ReadCapped(entry, budget);
                budget -= json.Length;
                try
                {
                    (isFollowers ? followers : following).AddRange(ParseList(json));
                }
                catch (JsonException)
                {
                    throw new CheckInputError("bad_json", $"{name} in the archive is not valid JSON. Request the export in JSON format (not HTML).",
                        CheckTexts.ExportBadJson, name);
                }
                if (isFollowers) sawFollowers = true; else sawFollowing = true;
            }
            if (!sawFollowers || !sawFollowing) throw NotAnExport("no_follow_lists");
            return new FollowLists(Distinct(followers), Distinct(following));
        }
    }

    private static CheckInputError NotAnExport(string code) => new(code,
        "This is not an Instagram export with followers_1.json and following.json. In Instagram: Settings → Accounts Center → " +
        "Your information and permissions → Download your information → Followers and following, format JSON. Then send me the ZIP.",
        CheckTexts.ExportNotAnExport);

    private static CheckInputError Bomb() =>
        new("zip_bomb", "The archive unpacks to far more than an Instagram export would, so it was refused.", CheckTexts.ExportBomb);

    /// <summary>Absolute names, drive letters and ".." segments would point outside the archive.</summary>
    internal static bool IsTraversal(string fullName)
    {
        if (fullName.StartsWith('/') || fullName.StartsWith('\\') || (fullName.Length > 1 && fullName[1] == ':')) return true;
        return fullName.Split('/', '\\').Any(s => s == "..");
    }

    /// <summary>Reads at most <paramref name="budget"/> bytes, whatever the entry's header claims.</summary>
    private static byte[] ReadCapped(ZipArchiveEntry entry, long budget)
    {
        using var s = entry.Open();
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > budget) throw Bomb();
        }
        return ms.ToArray();
    }

    public static IReadOnlyList<FollowAccount> ParseList(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var items = new List<JsonElement>();
        if (doc.RootElement.ValueKind == JsonValueKind.Array) items.AddRange(doc.RootElement.EnumerateArray());
        else if (doc.RootElement.ValueKind == JsonValueKind.Object)
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name.StartsWith("relationships_", StringComparison.Ordinal) && p.Value.ValueKind == JsonValueKind.Array)
                    items.AddRange(p.Value.EnumerateArray());
        var result = new List<FollowAccount>();
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.Object) continue;
            var title = item.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (!item.TryGetProperty("string_list_data", out var list) || list.ValueKind != JsonValueKind.Array) continue;
            foreach (var d in list.EnumerateArray())
            {
                var value = d.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var href = d.TryGetProperty("href", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
                // Newer exports put the username in the item's title and leave value out.
                var username = Clean(value) ?? Clean(title) ?? Clean(UsernameFromHref(href));
                if (username is null) continue;
                result.Add(new FollowAccount(username, null, ProfileUrl(username)));
            }
        }
        return result;
    }

    public static string ProfileUrl(string username) => $"https://www.instagram.com/{Uri.EscapeDataString(username)}/";

    private static string? UsernameFromHref(string? href)
    {
        if (href is null || !Uri.TryCreate(href, UriKind.Absolute, out var u)) return null;
        var segments = u.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length == 0 ? null : segments[^1] == "_u" || segments.Length > 1 && segments[0] == "_u" ? segments[^1] : segments[0];
    }

    private static string? Clean(string? s)
    {
        s = s?.Trim().TrimStart('@');
        return string.IsNullOrEmpty(s) || s.Length > 64 ? null : s;
    }

    private static List<FollowAccount> Distinct(List<FollowAccount> list) =>
        list.GroupBy(a => a.Username, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
}

/// <summary>The mutual-follow result: the counts and the two non-mutual lists.</summary>
public sealed record MutualResult(int Followers, int Following, int Mutual, IReadOnlyList<FollowAccount> NotFollowingBack,
    IReadOnlyList<FollowAccount> NotFollowedBack)
{
    public static MutualResult Of(FollowLists lists)
    {
        var followers = lists.Followers.Select(a => a.Username).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var following = lists.Following.Select(a => a.Username).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var notBack = lists.Following.Where(a => !followers.Contains(a.Username)).OrderBy(a => a.Username, StringComparer.OrdinalIgnoreCase).ToList();
        var notFollowed = lists.Followers.Where(a => !following.Contains(a.Username)).OrderBy(a => a.Username, StringComparer.OrdinalIgnoreCase).ToList();
        return new(followers.Count, following.Count, following.Count(followers.Contains), notBack, notFollowed);
    }
}
