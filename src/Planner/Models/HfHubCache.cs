namespace GaLore.Planner.Models;

/// <summary>
/// Finds a model's <c>config.json</c> in the local Hugging Face cache, without the network. The cache folder is the
/// one <c>huggingface_hub</c> uses (<c>huggingface_hub/constants.py</c>): <c>$HF_HUB_CACHE</c>, else
/// <c>$HUGGINGFACE_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else
/// <c>~/.cache/huggingface/hub</c>. A repository <c>org/name</c> lives in <c>models--org--name/</c>
/// (<c>file_download.repo_folder_name</c>); its files in <c>snapshots/{commit}/</c>, and <c>refs/main</c> holds the commit
/// the default branch pointed to when it was downloaded — that snapshot is used when present, else the newest snapshot
/// that has a <c>config.json</c>.
/// </summary>
public static class HfHubCache
{
    /// <summary>The cache folder and the variable (or default) it came from.</summary>
    public static (string Folder, string Origin) Root(Func<string, string?> env)
    {
        static string Expand(string p, Func<string, string?> env) =>
            p.StartsWith('~') && env("HOME") is { Length: > 0 } home ? home + p[1..] : p;
        foreach (var name in new[] { "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE" })
            if (env(name) is { Length: > 0 } v) return (Expand(v, env), "$" + name);
        if (env("HF_HOME") is { Length: > 0 } hfHome) return (Path.Combine(Expand(hfHome, env), "hub"), "$HF_HOME/hub");
        if (env("XDG_CACHE_HOME") is { Length: > 0 } xdg) return (Path.Combine(Expand(xdg, env), "huggingface", "hub"), "$XDG_CACHE_HOME/huggingface/hub");
        string homeDir = env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return (Path.Combine(homeDir, ".cache", "huggingface", "hub"), "~/.cache/huggingface/hub");
    }

    /// <summary>Whether <paramref name="text"/> has the shape of a Hub repository id, <c>org/name</c> (letters, digits,
    /// <c>-_.</c>; no leading dot or dash).</summary>
    public static bool IsRepoId(string text)
    {
        int slash = text.IndexOf('/');
        if (slash <= 0 || slash != text.LastIndexOf('/') || slash == text.Length - 1) return false;
        foreach (var part in new[] { text[..slash], text[(slash + 1)..] })
        {
            if (part[0] is '.' or '-' || part.Contains("..", StringComparison.Ordinal)) return false;
            foreach (char c in part)
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        }
        return true;
    }

    /// <summary>The cached <c>config.json</c> of <paramref name="repoId"/>, or null; <paramref name="lookedIn"/> says which
    /// folder was searched (for the error message).</summary>
    public static string? FindConfig(string repoId, Func<string, string?> env, out string lookedIn)
    {
        var (root, origin) = Root(env);
        string repo = Path.Combine(root, "models--" + repoId.Replace("/", "--"));
        lookedIn = $"{repo}/snapshots/*/config.json (cache {origin})";
        string snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        string refMain = Path.Combine(repo, "refs", "main");
        if (File.Exists(refMain))
        {
            string commit = ReadRef(refMain);
            string pinned = Path.Combine(snapshots, commit, "config.json");
            if (commit.Length > 0 && commit.IndexOfAny(['/', '\\']) < 0 && commit != ".." && File.Exists(pinned)) return pinned;
        }
        string? newest = null;
        DateTime newestTime = DateTime.MinValue;
        foreach (var dir in Directory.EnumerateDirectories(snapshots))
        {
            string file = Path.Combine(dir, "config.json");
            if (!File.Exists(file)) continue;
            var t = Directory.GetLastWriteTimeUtc(dir);
            if (newest is null || t > newestTime || (t == newestTime && string.CompareOrdinal(file, newest) < 0)) (newest, newestTime) = (file, t);
        }
        return newest;
    }

    /// <summary>A ref file holds one commit hash (40 hex digits); read at most a little of it.</summary>
    static string ReadRef(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read);
            var buffer = new byte[128];
            int n = f.Read(buffer, 0, buffer.Length);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }
}
