namespace NetGen;

/// <summary>What runs a network's generated code.</summary>
public enum Backend
{
    /// <summary>The generated ILGPU kernels, on a GPU or on ILGPU's CPU accelerator (a correctness tool).</summary>
    Ilgpu,

    /// <summary>The generated CPU code: packed AVX-512 matrix products and vectorised loops over every core.</summary>
    Cpu,
}
