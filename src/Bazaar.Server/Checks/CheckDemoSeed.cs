using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Checks;

/// <summary>Two tariffs to buy in the sandbox.</summary>
internal sealed class CheckDemoSeed(TimeProvider clock, IOptions<ShopCurrencyOptions> shop) : IDemoSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (await db.Tariffs.AnyAsync(ct)) return;
        var now = clock.GetUtcNow().UtcDateTime;
        var currency = shop.Value.Currency;
        var scale = Currencies.Pow10(Currencies.Scale(currency));
        db.Tariffs.AddRange(
            new Tariff { Name = "1 check", Credits = 1, Price = (long)(2 * scale), Currency = currency, StarsPrice = 100, SortOrder = 1, CreatedAt = now, UpdatedAt = now },
            new Tariff { Name = "10 checks", Credits = 10, Price = (long)(15 * scale), Currency = currency, StarsPrice = 750, SortOrder = 2, CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>
/// A small Instagram-shaped export made up here (no real accounts), in the layout of "Download your information":
/// served to try the check, and what a sandbox upload reads, since the sandbox keeps the uploaded bytes in the browser.
/// </summary>
public static class SampleExport
{
    public const string FileName = "instagram-export-sample.zip";
    private static readonly string[] Followers = ["demo.alice", "demo.bob", "demo.карина", "demo.chen_李", "demo.dana", "demo.eve", "demo.fan1", "demo.fan2"];
    private static readonly string[] Following = ["demo.alice", "demo.bob", "demo.карина", "demo.chen_李", "demo.brand", "demo.celebrity", "demo.news"];

    public static byte[] Build()
    {
        var followers = new JsonArray(Followers.Select(u => (JsonNode)new JsonObject
        {
            ["title"] = "", ["media_list_data"] = new JsonArray(),
            ["string_list_data"] = new JsonArray(new JsonObject { ["href"] = $"https://www.instagram.com/{u}", ["value"] = u, ["timestamp"] = 1_735_689_600 }),
        }).ToArray());
        var following = new JsonObject
        {
            ["relationships_following"] = new JsonArray(Following.Select(u => (JsonNode)new JsonObject
            {
                ["title"] = u,
                ["string_list_data"] = new JsonArray(new JsonObject { ["href"] = $"https://www.instagram.com/_u/{u}", ["timestamp"] = 1_735_689_600 }),
            }).ToArray()),
        };
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string text)
            {
                var e = zip.CreateEntry(name, CompressionLevel.Optimal);
                e.LastWriteTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = e.Open();
                s.Write(Encoding.UTF8.GetBytes(text));
            }
            Add("connections/followers_and_following/followers_1.json", followers.ToJsonString());
            Add("connections/followers_and_following/following.json", following.ToJsonString());
            Add("README.txt", "A sample made up by Bazaar in the shape of Instagram's export. No real accounts.\n");
        }
        return ms.ToArray();
    }
}
