using Bazaar.Server.Referrals;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Referrals;

/// <summary>GET /api/v1/referrals/stats and /list: admin key, ProblemDetails for bad input, paging.</summary>
public sealed class ReferralsApiTests(ReferralsAppFactory factory) : IClassFixture<ReferralsAppFactory>
{
    [Fact]
    public async Task Stats_give_the_code_link_counts_earnings_tier_and_milestones()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        await factory.Invitee(alice, "Carol");
        await factory.RobokassaDeposit(bob.Id, 100m);
        using var client = factory.AdminClient();

        var r = await client.GetAsync($"/api/v1/referrals/stats?user_id={alice.Id}");

        Assert.Equal(200, (int)r.StatusCode);
        var s = await r.ReadJson();
        var code = ReferralCodes.Of(alice.Id);
        Assert.Equal(code, s.GetProperty("code").GetString());
        Assert.Equal($"https://t.me/bazaar_test_bot?start=ref_{code}", s.GetProperty("link").GetString());
        Assert.Equal(2, s.GetProperty("invited").GetInt32());
        Assert.Equal(2, s.GetProperty("active").GetInt32());
        Assert.Equal(3_00, s.GetProperty("earned").GetProperty("amountMinor").GetInt64());
        Assert.Equal(3.00m, s.GetProperty("earned").GetProperty("amount").GetDecimal());
        Assert.Equal("bronze", s.GetProperty("tier").GetProperty("code").GetString());
        Assert.Equal("silver", s.GetProperty("nextTier").GetProperty("code").GetString());
        Assert.Equal(10, s.GetProperty("milestones").GetProperty("nextAt").GetInt32());
        Assert.Equal(8, s.GetProperty("milestones").GetProperty("remaining").GetInt32());

        var bobs = await (await client.GetAsync($"/api/v1/referrals/stats?user_id={bob.Id}")).ReadJson();
        Assert.Equal(alice.Id, bobs.GetProperty("referredBy").GetInt64());
    }

    [Fact]
    public async Task The_list_is_paged_newest_first_with_each_referees_commission()
    {
        var (_, alice) = await factory.Starter("Alice");
        var friends = new List<long>();
        for (var i = 1; i <= 3; i++)
        {
            friends.Add((await factory.Invitee(alice, $"Friend {i}")).User.Id);
            factory.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        await factory.RobokassaDeposit(friends[0], 10m);
        using var client = factory.AdminClient();

        var page1 = await (await client.GetAsync($"/api/v1/referrals/list?user_id={alice.Id}&page=1&page_size=2")).ReadJson();
        var page2 = await (await client.GetAsync($"/api/v1/referrals/list?user_id={alice.Id}&page=2&page_size=2")).ReadJson();

        Assert.Equal(3, page1.GetProperty("total").GetInt32());
        Assert.Equal([friends[2], friends[1]], page1.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("userId").GetInt64()));
        var last = Assert.Single(page2.GetProperty("items").EnumerateArray());
        Assert.Equal(friends[0], last.GetProperty("userId").GetInt64());
        Assert.Equal("Friend 1", last.GetProperty("name").GetString());
        Assert.Equal(30, last.GetProperty("commission")[0].GetProperty("amountMinor").GetInt64());
    }

    [Theory]
    [InlineData("/api/v1/referrals/stats")]
    [InlineData("/api/v1/referrals/list")]
    public async Task A_missing_user_is_400_an_unknown_one_404_and_no_key_401(string path)
    {
        using var client = factory.AdminClient();
        await (await client.GetAsync(path)).AssertProblem(400, "user_id_required");
        await (await client.GetAsync(path + "?user_id=987654321")).AssertProblem(404, "user_not_found");
        using var anon = factory.CreateClient();
        Assert.Equal(401, (int)(await anon.GetAsync(path + "?user_id=1")).StatusCode);
    }

    [Fact]
    public async Task The_endpoints_are_in_the_OpenAPI_document()
    {
        using var client = factory.CreateClient();
        var doc = await (await client.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        Assert.Contains("\"/api/v1/referrals/stats\"", doc);
        Assert.Contains("\"/api/v1/referrals/list\"", doc);
        Assert.Contains("\"/api/v1/referrals/link\"", doc);
    }
}
