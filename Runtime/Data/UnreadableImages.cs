using System;
using System.Collections.Generic;
using System.IO;

namespace NetGen.Data;

/// <summary>
/// What an image folder does with a file it cannot read: by default it skips the file, warns once
/// (<see cref="Skipped"/>) and counts it (<see cref="Files"/>); when <see cref="Strict"/>, it fails with
/// the file's name and what is wrong with it. One policy can serve every split of a dataset.
/// </summary>
public sealed class UnreadableImages
{
    private readonly List<(string Path, string Reason)> files = [];
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);

    /// <summary>Fail on the first unreadable image instead of skipping it (<c>--strict</c>).</summary>
    public bool Strict { get; init; }

    /// <summary>Raised once per skipped file, with its path and what is wrong with it, on whichever thread read it.</summary>
    public event Action<string, string>? Skipped;

    /// <summary>The files skipped so far, in the order they were found.</summary>
    public IReadOnlyList<(string Path, string Reason)> Files
    {
        get
        {
            lock (files)
                return files.ToArray();
        }
    }

    /// <summary>Records that <paramref name="path"/> cannot be read; throws when <see cref="Strict"/>.</summary>
    /// <exception cref="InvalidDataException">The policy is strict.</exception>
    internal void Report(string path, string reason)
    {
        if (Strict)
            throw new InvalidDataException($"{path}: {reason} (--strict: an unreadable image stops the run; leave it out to skip such files with a warning).");
        lock (files)
        {
            if (!seen.Add(path))
                return;
            files.Add((path, reason));
        }
        Skipped?.Invoke(path, reason);
    }
}
