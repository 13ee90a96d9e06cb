using System.Globalization;
using System.Security.Cryptography;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// The captcha's two kinds of question. Arithmetic: <see cref="CaptchaSession.Question"/> is "7 + 5", the answer "12".
/// Emoji: the question is the keyboard, its emoji separated by spaces, and the answer is the one to press, named to the
/// user in words (<see cref="GiveawayTexts.CaptchaEmoji"/>). A session's kind is read from its answer, so a session
/// keeps its kind when Giveaways:Captcha:Kind changes, and no column was needed.
/// </summary>
public static class CaptchaQuestions
{
    private const char VariationSelector = '\uFE0F';

    public static (string Question, string Answer) New(CaptchaOptions options) =>
        options.IsEmoji ? Emoji(Math.Clamp(options.EmojiButtons, 3, 8)) : Arithmetic();

    public static (string Question, string Answer) Arithmetic()
    {
        var a = RandomNumberGenerator.GetInt32(2, 20);
        var b = RandomNumberGenerator.GetInt32(2, 20);
        return RandomNumberGenerator.GetInt32(3) switch
        {
            0 => ($"{a} + {b}", (a + b).ToString(CultureInfo.InvariantCulture)),
            1 => ($"{a + b} − {b}", a.ToString(CultureInfo.InvariantCulture)),
            _ => ($"{a} × {b % 9 + 2}", (a * (b % 9 + 2)).ToString(CultureInfo.InvariantCulture)),
        };
    }

    /// <summary><paramref name="buttons"/> distinct emoji in random order, one of them (at random) the answer.</summary>
    public static (string Question, string Answer) Emoji(int buttons)
    {
        var pool = GiveawayTexts.CaptchaEmoji.Select(e => e.Emoji).ToArray();
        RandomNumberGenerator.Shuffle(pool.AsSpan());
        var options = pool[..buttons];
        return (string.Join(' ', options), options[RandomNumberGenerator.GetInt32(buttons)]);
    }

    public static bool IsEmoji(CaptchaSession s) => GiveawayTexts.CaptchaEmoji.Any(e => e.Emoji == s.Answer);

    /// <summary>The emoji keyboard of an emoji session, in order (empty for an arithmetic one).</summary>
    public static IReadOnlyList<string> Options(CaptchaSession s) =>
        IsEmoji(s) ? s.Question.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>What the user is asked to press, in their language (emoji sessions).</summary>
    public static string Target(CaptchaSession s, string lang) =>
        GiveawayTexts.CaptchaEmoji.First(e => e.Emoji == s.Answer).Name.In(lang);

    /// <summary>
    /// An answer as the session compares it: trimmed; for an emoji session without the variation selector some
    /// keyboards add, and a button's 1-based position stands for its emoji.
    /// </summary>
    public static string Normalize(CaptchaSession s, string answer)
    {
        var a = answer.Trim();
        if (!IsEmoji(s)) return a;
        var options = Options(s);
        if (int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return n >= 1 && n <= options.Count ? options[n - 1] : a;
        return a.Replace(VariationSelector.ToString(), "", StringComparison.Ordinal);
    }

    /// <summary>The question as the APIs show it (in English): "7 + 5 = ?", or "Press the cat: 🐶 🐱 …".</summary>
    public static string Prompt(CaptchaSession s) =>
        IsEmoji(s) ? $"Press the {Target(s, "en")}: {s.Question}" : s.Question + " = ?";

    public static string Kind(CaptchaSession s) => IsEmoji(s) ? CaptchaOptions.Emoji : CaptchaOptions.Arithmetic;
}
