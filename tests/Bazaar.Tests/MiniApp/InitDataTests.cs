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
        // The hash was computed outside .NET (Python's hmac/hashlib from Telegram's description), so the check cannot
        // drift together with the test's own signer:
        //   secret = hmac(b"WebAppData", b"123456:TEST-token", sha256).digest()
        //   hmac(secret, b'auth_date=1764331200\nquery_id=Q1\nuser={"id":7,"first_name":"Z"}', sha256).hexdigest()
        const string hash = "a416a77ecad29c75b52a8e3c770c86ff01f427b2ef3b619214ac0765433df855";
        var initData = "user=%7B%22id%22%3A7%2C%22first_name%22%3A%22Z%22%7D&query_id=Q1&auth_date=1764331200&hash=" + hash;
        var at = DateTimeOffset.FromUnixTimeSeconds(1764331200).UtcDateTime.AddMinutes(10);
        var r = InitData.Validate(initData, TestInitData.BotToken, at, Hour);
        Assert.True(r.Ok, r.Error);
        Assert.Equal(7, r.Data!.User.Id);
        Assert.Equal(hash, TestInitData.HashOf([("auth_date", "1764331200"), ("query_id", "Q1"), ("user", "{\"id\":7,\"first_name\":\"Z\"}")], TestInitData.BotToken));
        // One character of the hash changed, or the same hash upper-cased by a proxy, still decides correctly.
        Assert.Equal(InitData.Tampered, InitData.Validate(initData[..^1] + "4", TestInitData.BotToken, at, Hour).Error);
        Assert.True(InitData.Validate(initData.Replace(hash, hash.ToUpperInvariant()), TestInitData.BotToken, at, Hour).Ok);
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
