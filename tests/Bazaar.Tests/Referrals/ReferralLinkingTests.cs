using Bazaar.Server.Referrals;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Referrals;

/// <summary>Linking at first contact through /start ref_&lt;code&gt;, and the rules: no self, no re-link, no loops.</summary>
public sealed class ReferralLinkingTests(ReferralsAppFactory factory) : IClassFixture<ReferralsAppFactory>
{
    private async Task<HttpResponseMessage> ApiLink(long refereeId, long referrerId)
    {
        using var client = factory.AdminClient();
        return await client.PostJson("/api/v1/referrals/link", new { refereeId, referrerId });
    }

    [Fact]
    public async Task A_newcomer_through_the_link_is_linked_the_referrer_is_told_and_the_welcome_names_them()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        var (bobTg, bob) = await factory.Invitee(alice, "Bob");

        var r = await factory.ReferralOf(bob.Id);
        Assert.NotNull(r);
        Assert.Equal(alice.Id, r.ReferrerId);
        Assert.Equal("link", r.LinkedBy);
        var welcome = (await factory.Texts(bobTg)).Single();
        Assert.Contains("Hello, Bob!", welcome);
        Assert.Contains("You were invited by <b>Alice</b>", welcome);
        Assert.Contains((await factory.Texts(aliceTg)), t => t.Contains("New referral! <b>Bob</b> joined") && t.Contains("Invited so far: <b>1</b>"));
    }

    [Fact]
    public async Task A_user_who_already_talked_to_the_bot_is_not_linked_by_a_later_link()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (carolTg, carol) = await factory.Starter("Carol");

        await factory.Send(Updates.Text(carolTg, "/start ref_" + ReferralCodes.Of(alice.Id)));

        Assert.Null(await factory.ReferralOf(carol.Id));
        Assert.DoesNotContain(await factory.Texts(carolTg), t => t.Contains("invited by"));
    }

    [Fact]
    public async Task A_newcomer_whose_first_message_was_not_the_link_is_not_linked()
    {
        var (_, alice) = await factory.Starter("Alice");
        var tg = Updates.NewUserId();
        await factory.Send(Updates.Text(tg, "hello"));
        await factory.Send(Updates.Text(tg, "/start ref_" + ReferralCodes.Of(alice.Id)));

        Assert.Null(await factory.ReferralOf((await factory.UserOf(tg)).Id));
    }

    [Fact]
    public async Task Ones_own_link_links_nothing_and_says_so()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        await factory.Send(Updates.Text(aliceTg, "/start ref_" + ReferralCodes.Of(alice.Id)));

        Assert.Null(await factory.ReferralOf(alice.Id));
        Assert.Contains("your own referral link", (await factory.Texts(aliceTg)).Last());

        await (await ApiLink(alice.Id, alice.Id)).AssertProblem(409, "self_referral");
        Assert.Null(await factory.ReferralOf(alice.Id));
    }

    [Fact]
    public async Task A_referee_is_never_linked_again_to_someone_else()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (_, carol) = await factory.Starter("Carol");
        var (_, bob) = await factory.Invitee(alice, "Bob");

        await (await ApiLink(bob.Id, carol.Id)).AssertProblem(409, "already_linked");

        Assert.Equal(alice.Id, (await factory.ReferralOf(bob.Id))!.ReferrerId);
    }

    [Fact]
    public async Task A_link_that_would_close_a_loop_is_refused_directly_and_further_up()
    {
        var (_, a) = await factory.Starter("Anna");
        var (_, b) = await factory.Invitee(a, "Boris");
        var (_, c) = await factory.Invitee(b, "Clara");

        // a invited b, b invited c: neither b nor c may become a's referrer.
        await (await ApiLink(a.Id, b.Id)).AssertProblem(409, "referral_cycle");
        await (await ApiLink(a.Id, c.Id)).AssertProblem(409, "referral_cycle");
        Assert.Null(await factory.ReferralOf(a.Id));

        // Someone outside the chain may still be a's referrer (an operator fixing a missed link).
        var (_, d) = await factory.Starter("Dmitri");
        var ok = await ApiLink(a.Id, d.Id);
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.Equal(d.Id, (await factory.ReferralOf(a.Id))!.ReferrerId);
    }

    [Fact]
    public async Task An_unknown_code_links_nothing_and_still_greets()
    {
        var tg = Updates.NewUserId();
        await factory.Send(Updates.Text(tg, "/start ref_zzzzzzzzz"), Updates.Text(Updates.NewUserId(), "/start ref_!!"));

        Assert.Null(await factory.ReferralOf((await factory.UserOf(tg)).Id));
        Assert.Contains("Hello", (await factory.Texts(tg)).Single());
    }

    [Fact]
    public async Task The_link_api_answers_404_for_unknown_users_and_401_without_a_key()
    {
        var (_, a) = await factory.Starter("Anna");
        await (await ApiLink(a.Id, 987_654_321)).AssertProblem(404, "referrer_not_found");
        await (await ApiLink(987_654_321, a.Id)).AssertProblem(404, "user_not_found");
        using var anon = factory.CreateClient();
        Assert.Equal(401, (int)(await anon.PostJson("/api/v1/referrals/link", new { refereeId = a.Id, referrerId = a.Id })).StatusCode);
    }
}
