using System.IO.Compression;
using System.Text;
using Bazaar.Server.Checks;

namespace Bazaar.Tests.Checks;

public sealed class InstagramExportTests
{
    private static readonly ExportLimits Limits = new();

    private static FollowLists Read(byte[] zip, ExportLimits? limits = null)
    {
        using var ms = new MemoryStream(zip);
        return InstagramExport.Read(ms, zip.Length, limits ?? Limits);
    }

    private static string Refusal(byte[] zip, ExportLimits? limits = null) => Assert.Throws<CheckInputError>(() => Read(zip, limits)).Code;

    [Fact]
    public void Both_shapes_anywhere_in_the_archive_with_unicode_and_several_followers_files()
    {
        var zip = CheckTestData.Zip(
            ("some/deep/folder/followers_1.json", CheckTestData.FollowersArray("alice", "Ünïcode.名前", "carol")),
            ("other/followers_2.json", CheckTestData.FollowersArray("dave")),
            ("x/following.json", CheckTestData.FollowingObject("alice", "ünïcode.名前", "bob")),
            ("media/posts_1.json", "[]"));
        var lists = Read(zip);
        Assert.Equal(["alice", "Ünïcode.名前", "carol", "dave"], lists.Followers.Select(a => a.Username));
        Assert.Equal(["alice", "ünïcode.名前", "bob"], lists.Following.Select(a => a.Username));

        var r = MutualResult.Of(lists);
        Assert.Equal((4, 3, 2), (r.Followers, r.Following, r.Mutual));
        Assert.Equal(["bob"], r.NotFollowingBack.Select(a => a.Username));
        Assert.Equal(["carol", "dave"], r.NotFollowedBack.Select(a => a.Username));
        Assert.Equal("https://www.instagram.com/bob/", r.NotFollowingBack[0].ProfileUrl);
    }

    [Fact]
    public void Following_as_a_top_level_array_and_followers_under_relationships_are_read_too()
    {
        var followersObject = "{\"relationships_followers\":[{\"title\":\"\",\"string_list_data\":[{\"href\":\"https://www.instagram.com/zoë\",\"value\":\"zoë\",\"timestamp\":1}]}]}";
        var lists = Read(CheckTestData.Zip(("followers_1.json", followersObject), ("following.json", CheckTestData.FollowersArray("zoë", "yan"))));
        Assert.Equal(["zoë"], lists.Followers.Select(a => a.Username));
        Assert.Equal(["zoë", "yan"], lists.Following.Select(a => a.Username));
    }

    [Fact]
    public void Other_files_an_html_export_and_broken_json_get_clear_refusals()
    {
        Assert.Equal("no_follow_lists", Refusal(CheckTestData.Zip(("photos/1.jpg", "x"), ("followers_1.html", "<html/>"))));
        Assert.Equal("no_follow_lists", Refusal(CheckTestData.Zip(("followers_1.json", CheckTestData.FollowersArray("a")))));
        Assert.Equal("bad_json", Refusal(CheckTestData.Zip(("followers_1.json", "[{"), ("following.json", "[]"))));
        Assert.Equal("not_a_zip", Refusal(Encoding.UTF8.GetBytes("%PDF-1.4 not a zip at all")));
    }

    [Fact]
    public void A_zip_bomb_is_refused_by_its_compression_ratio()
    {
        // 60 MB of spaces inside valid JSON compresses to a few dozen KB.
        var bomb = new byte[60 * 1024 * 1024];
        Array.Fill(bomb, (byte)' ');
        bomb[0] = (byte)'[';
        bomb[^1] = (byte)']';
        var zip = CheckTestData.Zip(("followers_1.json", bomb), ("following.json", Encoding.UTF8.GetBytes("[]")));
        Assert.True(zip.Length < 1024 * 1024);
        Assert.Equal("zip_bomb", Refusal(zip));
    }

    [Fact]
    public void An_entry_that_unpacks_past_the_budget_is_stopped_while_reading()
    {
        // A modest ratio but more than the JSON budget allows.
        var content = Encoding.UTF8.GetBytes(CheckTestData.FollowersArray(Enumerable.Range(0, 5000).Select(i => $"user{i}").ToArray()));
        var zip = CheckTestData.Zip(("followers_1.json", content), ("following.json", Encoding.UTF8.GetBytes("[]")));
        Assert.Equal("zip_bomb", Refusal(zip, new ExportLimits { MaxJsonBytes = content.Length / 2 }));
    }

    [Fact]
    public void Path_traversal_is_refused()
    {
        Assert.Equal("path_traversal", Refusal(CheckTestData.Zip(("../../etc/followers_1.json", "[]"), ("following.json", "[]"))));
        Assert.Equal("path_traversal", Refusal(CheckTestData.Zip(("/abs/following.json", "[]"), ("followers_1.json", "[]"))));
        Assert.Equal("path_traversal", Refusal(CheckTestData.Zip(("a\\..\\..\\x.txt", "x"), ("followers_1.json", "[]"), ("following.json", "[]"))));
        Assert.True(InstagramExport.IsTraversal("C:/windows/following.json"));
        Assert.False(InstagramExport.IsTraversal("connections/followers_and_following/following.json"));
    }

    [Fact]
    public void Too_many_entries_and_too_large_an_archive_are_refused()
    {
        var many = CheckTestData.Zip(Enumerable.Range(0, 30).Select(i => ($"f{i}.txt", "x")).Append(("followers_1.json", "[]")).Append(("following.json", "[]")).ToArray());
        Assert.Equal("too_many_entries", Refusal(many, new ExportLimits { MaxEntries = 20 }));
        Assert.Equal("archive_too_large", Refusal(CheckTestData.SampleExport(), new ExportLimits { MaxArchiveBytes = 100 }));
    }
}
