using System;

namespace NetGen;

/// <summary>
/// What an optimiser carries from one update to the next, laid out as the network's parameters:
/// SGD's velocity (<see cref="First"/>; checkpoints call it <c>momentum.</c>), or Adam's and AdamW's
/// first and second moments (<c>exp_avg.</c> and <c>exp_avg_sq.</c>, PyTorch's names), and the
/// number of updates done (Adam's t for the last one).
/// </summary>
/// <param name="Kind">The optimiser whose state this is.</param>
/// <param name="Steps">Updates done.</param>
/// <param name="First">SGD's velocity, or Adam's first moment.</param>
/// <param name="Second">Adam's second moment; null for SGD.</param>
public sealed record OptimiserState(Optimizer Kind, long Steps, float[] First, float[]? Second)
{
    /// <summary>The state before the first update: every moment zero.</summary>
    public static OptimiserState Zero(Optimizer kind, NetworkInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        long count = info.ParameterCount;
        return new OptimiserState(kind, 0, new float[count], kind == Optimizer.Sgd ? null : new float[count]);
    }

    /// <summary>The name checkpoints and the command line give <paramref name="kind"/>: sgd, adam or adamw.</summary>
    public static string Name(Optimizer kind) => kind switch
    {
        Optimizer.Sgd => "sgd",
        Optimizer.Adam => "adam",
        Optimizer.AdamW => "adamw",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "The optimizer is sgd, adam or adamw."),
    };

    /// <summary>The optimiser named <paramref name="name"/> (sgd, adam or adamw, in any case), or null.</summary>
    public static Optimizer? Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "sgd" => Optimizer.Sgd,
        "adam" => Optimizer.Adam,
        "adamw" => Optimizer.AdamW,
        _ => null,
    };

    /// <summary>Throws unless this is the state of <paramref name="kind"/> for the network <paramref name="info"/> describes.</summary>
    public void Check(Optimizer kind, NetworkInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (Kind != kind)
            throw new ArgumentException($"This is {Name(Kind)}'s state, and the optimiser is {Name(kind)}: their moments mean different things.");
        if (Steps < 0)
            throw new ArgumentException($"The optimiser's step count ({Steps}) is negative.");
        ArgumentNullException.ThrowIfNull(First);
        if (First.LongLength != info.ParameterCount || (kind != Optimizer.Sgd && Second?.LongLength != info.ParameterCount) || (kind == Optimizer.Sgd && Second is not null))
            throw new ArgumentException($"{info.Name} has {info.ParameterCount} parameters; {Name(kind)}'s state holds {(kind == Optimizer.Sgd ? "one buffer" : "two buffers")} of as many values.");
    }
}
