using System;

namespace NetGen.Tests.Infrastructure;

/// <summary>
/// The two backends every machine has, shared by the kernel tests: ILGPU's CPU accelerator running
/// the generated kernels, and the generated CPU backend. Tests take the device's kind as a theory
/// argument, so each check runs on both against the same reference.
/// </summary>
public sealed class AcceleratorFixture : IDisposable
{
    /// <summary>The kinds the tests run on.</summary>
    public const string Kernels = "ilgpu-cpu", Cpu = "cpu";

    public Device Device { get; } = Device.Open(Kernels);

    public Device CpuDevice { get; } = Device.Open(Cpu);

    public Device this[string kind] => kind == Cpu ? CpuDevice : Device;

    public void Dispose()
    {
        Device.Dispose();
        CpuDevice.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class AcceleratorCollection : ICollectionFixture<AcceleratorFixture>
{
    public const string Name = "ILGPU CPU accelerator";
}
