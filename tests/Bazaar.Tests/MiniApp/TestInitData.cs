using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bazaar.Tests.MiniApp;

/// <summary>
/// initData signed the way Telegram signs it, written here from Telegram's description and independent of the
/// server's code: secret = HMAC-SHA256(key "WebAppData", bot token); hash = hex HMAC-SHA256(secret, the fields but
/// hash as key=value sorted by key, joined by '\n'); the fields URL-encoded in the order given.
/// </summary>
public static class TestInitData
{
    public const string BotToken = "123456:TEST-token";

    public static string UserJson(long id, string firstName = "Alice", string lang = "en", string? username = "alice") =>
        "{\"id\":" + id.ToString(CultureInfo.InvariantCulture) + ",\"first_name\":\"" + firstName + "\"" +
        (username is null ? "" : ",\"username\":\"" + username + "\"") + ",\"language_code\":\"" + lang + "\",\"allows_write_to_pm\":true}";

    public static List<(string Key, string Value)> Fields(long userId, DateTimeOffset authDate, string firstName = "Alice", string lang = "en") =>
    [
        ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
        ("user", UserJson(userId, firstName, lang)),
        ("auth_date", authDate.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
    ];

    public static string HashOf(IEnumerable<(string Key, string Value)> fields, string botToken)
    {
        byte[] secret;
        using (var h = new HMACSHA256(Encoding.UTF8.GetBytes("WebAppData"))) secret = h.ComputeHash(Encoding.UTF8.GetBytes(botToken));
        var check = string.Join("\n", fields.Where(f => f.Key != "hash").OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value));
        using var mac = new HMACSHA256(secret);
        return Convert.ToHexString(mac.ComputeHash(Encoding.UTF8.GetBytes(check))).ToLowerInvariant();
    }

    public static string Encode(IEnumerable<(string Key, string Value)> fields) =>
        string.Join("&", fields.Select(f => f.Key + "=" + Uri.EscapeDataString(f.Value)));

    /// <summary>The fields with their hash appended, as Telegram.WebApp.initData carries them.</summary>
    public static string Signed(IEnumerable<(string Key, string Value)> fields, string botToken = BotToken)
    {
        var list = fields.ToList();
        return Encode(list.Append(("hash", HashOf(list, botToken))));
    }

    public static string For(long userId, DateTimeOffset now, string firstName = "Alice", string lang = "en") =>
        Signed(Fields(userId, now, firstName, lang));
}
