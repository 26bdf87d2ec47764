using System;

namespace NetGen;

/// <summary>A device kind was asked for by name (<c>cuda</c>, <c>opencl</c>) and this machine has none of it.</summary>
public sealed class NoDeviceException : InvalidOperationException
{
    /// <summary>Says that no <paramref name="kind"/> device is present, and lists what ILGPU found instead.</summary>
    public NoDeviceException(string kind, string[] found)
        : base($"--device {kind}: this machine has no {(kind == "cuda" ? "CUDA" : "OpenCL")} device (ILGPU found {(found.Length == 0 ? "none" : string.Join(", ", found))}); " +
            "use --device auto (a GPU when there is one, else the CPU backend) or --device cpu")
    {
        Kind = kind;
    }

    /// <summary>The kind that was asked for.</summary>
    public string Kind { get; }
}
