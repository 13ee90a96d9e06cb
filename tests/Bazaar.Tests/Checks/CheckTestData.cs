using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Checks;

/// <summary>Instagram-shaped export archives (made up here, no real people) and document updates carrying them.</summary>
public static class CheckTestData
{
    private static int _messageId = 500_000;

    /// <summary>followers_1.json as a top-level array (the older shape), value + href per account.</summary>
    public static string FollowersArray(params string[] usernames) => new JsonArray(usernames.Select(u => (JsonNode)new JsonObject
    {
        ["title"] = "", ["media_list_data"] = new JsonArray(),
        ["string_list_data"] = new JsonArray(new JsonObject { ["href"] = $"https://www.instagram.com/{u}", ["value"] = u, ["timestamp"] = 1_700_000_000 }),
    }).ToArray()).ToJsonString();

    /// <summary>following.json under relationships_following; newer exports put the name in title and leave value out.</summary>
    public static string FollowingObject(params string[] usernames) => new JsonObject
    {
        ["relationships_following"] = new JsonArray(usernames.Select(u => (JsonNode)new JsonObject
        {
            ["title"] = u,
            ["string_list_data"] = new JsonArray(new JsonObject { ["href"] = $"https://www.instagram.com/_u/{u}", ["timestamp"] = 1_700_000_000 }),
        }).ToArray()),
    }.ToJsonString();

    public static byte[] Zip(params (string Name, string Content)[] entries) => Zip(entries.Select(e => (e.Name, Encoding.UTF8.GetBytes(e.Content))).ToArray());

    public static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                s.Write(content);
            }
        return ms.ToArray();
    }

    /// <summary>An export where alice and 👑ünïcode_ℤ are mutual, bob does not follow back, carol is not followed back.</summary>
    public static byte[] SampleExport() => Zip(
        ("connections/followers_and_following/followers_1.json", FollowersArray("alice", "carol", "ünïcode_ℤ")),
        ("connections/followers_and_following/following.json", FollowingObject("alice", "bob", "ünïcode_ℤ")),
        ("personal_information/personal_information.json", "{}"));

    public static JsonObject Document(long userId, string fileId, string fileName = "instagram-export.zip", long size = 1000, string lang = "en") => new()
    {
        ["update_id"] = Updates.NextUpdateId(),
        ["message"] = new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref _messageId), ["from"] = Updates.From(userId, lang), ["chat"] = Updates.Chat(userId), ["date"] = 1764331200,
            ["document"] = new JsonObject
            {
                ["file_id"] = fileId, ["file_unique_id"] = "u" + fileId, ["file_name"] = fileName, ["mime_type"] = "application/zip", ["file_size"] = size,
            },
        },
    };
}
