namespace Bazaar.Server.Admin;

public sealed class AdminOptions
{
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>Comma-separated Telegram user ids allowed to use admin commands in the bot.</summary>
    public string? TelegramIds { get; set; }
    /// <summary>A bootstrap key for the REST API, compared in constant time and never stored.</summary>
    public string? ApiKey { get; set; }

    private (string? From, IReadOnlySet<long> Ids)? _parsed;

    /// <summary><see cref="TelegramIds"/> parsed, once per value (the pipeline asks on every update).</summary>
    public IReadOnlySet<long> TelegramAdminIds
    {
        get
        {
            if (_parsed is { } p && p.From == TelegramIds) return p.Ids;
            var ids = Parse(TelegramIds);
            _parsed = (TelegramIds, ids);
            return ids;
        }
    }

    public static IReadOnlySet<long> Parse(string? ids) =>
        (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s, out var id) ? id : (long?)null)
            .OfType<long>().ToHashSet();
}
