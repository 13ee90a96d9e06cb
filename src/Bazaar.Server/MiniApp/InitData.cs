using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bazaar.Server.MiniApp;

/// <summary>The <c>user</c> field of a Mini App's initData (Telegram's WebAppUser).</summary>
public sealed record WebAppUser(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("first_name")] string? FirstName,
    [property: JsonPropertyName("last_name")] string? LastName,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("language_code")] string? LanguageCode);

/// <summary>Validated initData: who, when it was signed, and any other signed fields.</summary>
public sealed record ValidInitData(WebAppUser User, DateTime AuthDate, IReadOnlyDictionary<string, string> Fields);

public sealed record InitDataResult(ValidInitData? Data, string? Error)
{
    public bool Ok => Data is not null;
}

/// <summary>
/// Telegram's Mini App initData check, exactly as specified: the secret key is HMAC-SHA256 of the bot token keyed by
/// "WebAppData"; the data-check string is every field but <c>hash</c>, as <c>key=value</c> sorted by key and joined by
/// newlines; its HMAC-SHA256 under the secret key must equal <c>hash</c> (compared in constant time); an
/// <c>auth_date</c> older than the allowed age is refused.
/// </summary>
public static class InitData
{
    public const string Missing = "init_data_missing";
    public const string Tampered = "init_data_tampered";
    public const string Expired = "init_data_expired";

    /// <summary>initData signed a little in the future (clock skew between Telegram and us) is still accepted.</summary>
    private static readonly TimeSpan FutureSkew = TimeSpan.FromMinutes(5);

    public static InitDataResult Validate(string? initData, string botToken, DateTime now, TimeSpan maxAge)
    {
        if (string.IsNullOrWhiteSpace(initData)) return new(null, Missing);
        if (string.IsNullOrEmpty(botToken)) return new(null, Tampered);
        var fields = Parse(initData);
        if (fields is null || !fields.TryGetValue("hash", out var hash)) return new(null, Tampered);

        var expected = Hash(fields, botToken);
        if (!Hosting.Secrets.HexEquals(hash, expected)) return new(null, Tampered);

        // Only signed data is read from here on.
        if (!fields.TryGetValue("auth_date", out var authText) ||
            !long.TryParse(authText, NumberStyles.None, CultureInfo.InvariantCulture, out var authSeconds))
            return new(null, Tampered);
        var authDate = DateTimeOffset.FromUnixTimeSeconds(authSeconds).UtcDateTime;
        if (now - authDate > maxAge || authDate - now > FutureSkew) return new(null, Expired);
        if (!fields.TryGetValue("user", out var userJson)) return new(null, Tampered);
        WebAppUser? user;
        try { user = JsonSerializer.Deserialize<WebAppUser>(userJson); }
        catch (JsonException) { return new(null, Tampered); }
        if (user is null || user.Id <= 0) return new(null, Tampered);
        return new(new ValidInitData(user, authDate, fields), null);
    }

    /// <summary>The HMAC of the data-check string, for validating and for the Development sandbox's signing.</summary>
    public static byte[] Hash(IReadOnlyDictionary<string, string> fields, string botToken)
    {
        var secret = HMACSHA256.HashData(Encoding.UTF8.GetBytes("WebAppData"), Encoding.UTF8.GetBytes(botToken));
        return HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(DataCheckString(fields)));
    }

    public static string DataCheckString(IReadOnlyDictionary<string, string> fields) =>
        string.Join('\n', fields.Where(f => f.Key != "hash").OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value));

    /// <summary>Signs fields as Telegram would and returns the query string (only the Development sandbox does this).</summary>
    public static string Sign(IReadOnlyDictionary<string, string> fields, string botToken)
    {
        var all = fields.Where(f => f.Key != "hash").ToDictionary(f => f.Key, f => f.Value);
        all["hash"] = Convert.ToHexStringLower(Hash(all, botToken));
        return string.Join('&', all.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));
    }

    /// <summary>The query string's fields, URL-decoded; null when a key repeats or a pair has no '='.</summary>
    public static Dictionary<string, string>? Parse(string initData)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in initData.Trim().Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) return null;
            var key = WebUtility.UrlDecode(pair[..eq]);
            if (!fields.TryAdd(key, WebUtility.UrlDecode(pair[(eq + 1)..]))) return null;
        }
        return fields;
    }
}
