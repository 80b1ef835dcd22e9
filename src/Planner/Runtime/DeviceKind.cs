namespace GaLore.Planner.Runtime;

/// <summary>Where the step runs.</summary>
public enum DeviceKind
{
    Cpu,
    Cuda,
}
