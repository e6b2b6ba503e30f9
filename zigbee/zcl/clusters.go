package zcl

import "github.com/zhubhq/zhub/zigbee"

// Cluster ids of the library (ZCL rev 8 chapter numbers in comments).
const (
	ClusterBasic                 zigbee.ClusterID = 0x0000 // §3.2
	ClusterPowerConfig           zigbee.ClusterID = 0x0001 // §3.3
	ClusterDeviceTempConfig      zigbee.ClusterID = 0x0002 // §3.4
	ClusterIdentify              zigbee.ClusterID = 0x0003 // §3.5
	ClusterGroups                zigbee.ClusterID = 0x0004 // §3.6
	ClusterScenes                zigbee.ClusterID = 0x0005 // §3.7
	ClusterOnOff                 zigbee.ClusterID = 0x0006 // §3.8
	ClusterOnOffSwitchConfig     zigbee.ClusterID = 0x0007 // §3.9
	ClusterLevelControl          zigbee.ClusterID = 0x0008 // §3.10
	ClusterAlarms                zigbee.ClusterID = 0x0009 // §3.11
	ClusterTime                  zigbee.ClusterID = 0x000A // §3.12
	ClusterAnalogInput           zigbee.ClusterID = 0x000C // §3.14.2
	ClusterBinaryInput           zigbee.ClusterID = 0x000F // §3.14.5
	ClusterMultistateInput       zigbee.ClusterID = 0x0012 // §3.14.8
	ClusterOTA                   zigbee.ClusterID = 0x0019 // §11
	ClusterPollControl           zigbee.ClusterID = 0x0020 // §3.16
	ClusterDoorLock              zigbee.ClusterID = 0x0101 // §7.3
	ClusterWindowCovering        zigbee.ClusterID = 0x0102 // §7.4
	ClusterThermostat            zigbee.ClusterID = 0x0201 // §6.3
	ClusterFanControl            zigbee.ClusterID = 0x0202 // §6.4
	ClusterThermostatUI          zigbee.ClusterID = 0x0204 // §6.6
	ClusterColorControl          zigbee.ClusterID = 0x0300 // §5.2
	ClusterIlluminance           zigbee.ClusterID = 0x0400 // §4.2
	ClusterTemperature           zigbee.ClusterID = 0x0402 // §4.4
	ClusterPressure              zigbee.ClusterID = 0x0403 // §4.5
	ClusterFlow                  zigbee.ClusterID = 0x0404 // §4.6
	ClusterHumidity              zigbee.ClusterID = 0x0405 // §4.7
	ClusterOccupancy             zigbee.ClusterID = 0x0406 // §4.8
	ClusterCO2                   zigbee.ClusterID = 0x040D // §4.14
	ClusterPM25                  zigbee.ClusterID = 0x042A // §4.14
	ClusterIASZone               zigbee.ClusterID = 0x0500 // §8.2
	ClusterIASWD                 zigbee.ClusterID = 0x0502 // §8.4
	ClusterMetering              zigbee.ClusterID = 0x0702 // §10.4
	ClusterElectricalMeasurement zigbee.ClusterID = 0x0B04 // §4.9
	ClusterDiagnostics           zigbee.ClusterID = 0x0B05 // §3.15
)

// Attributes the emulated devices and the hub use most. Units follow the
// spec: temperatures in 0.01 °C, humidity in 0.01 %, battery voltage in
// 100 mV, battery percentage in half percent, colour temperature in mireds.
const (
	AttrBasicZCLVersion       AttributeID = 0x0000
	AttrBasicAppVersion       AttributeID = 0x0001
	AttrBasicStackVersion     AttributeID = 0x0002
	AttrBasicHWVersion        AttributeID = 0x0003
	AttrBasicManufacturerName AttributeID = 0x0004
	AttrBasicModelID          AttributeID = 0x0005
	AttrBasicDateCode         AttributeID = 0x0006
	AttrBasicPowerSource      AttributeID = 0x0007
	AttrBasicSWBuildID        AttributeID = 0x4000

	AttrPowerBatteryVoltage           AttributeID = 0x0020
	AttrPowerBatteryPercentage        AttributeID = 0x0021 // half-percent units: 200 = 100 %
	AttrIdentifyTime                  AttributeID = 0x0000
	AttrGroupsNameSupport             AttributeID = 0x0000
	AttrOnOff                         AttributeID = 0x0000
	AttrOnOffStartUp                  AttributeID = 0x4003
	AttrLevelCurrentLevel             AttributeID = 0x0000
	AttrLevelRemainingTime            AttributeID = 0x0001
	AttrLevelOnOffTransitionTime      AttributeID = 0x0010
	AttrColorCurrentHue               AttributeID = 0x0000
	AttrColorCurrentSaturation        AttributeID = 0x0001
	AttrColorCurrentX                 AttributeID = 0x0003
	AttrColorCurrentY                 AttributeID = 0x0004
	AttrColorTemperature              AttributeID = 0x0007 // mireds
	AttrColorMode                     AttributeID = 0x0008
	AttrColorEnhancedCurrentHue       AttributeID = 0x4000
	AttrColorEnhancedMode             AttributeID = 0x4001
	AttrColorCapabilities             AttributeID = 0x400A
	AttrColorTempPhysicalMin          AttributeID = 0x400B
	AttrColorTempPhysicalMax          AttributeID = 0x400C
	AttrPollCheckInInterval           AttributeID = 0x0000
	AttrPollLongPollInterval          AttributeID = 0x0001
	AttrDoorLockState                 AttributeID = 0x0000
	AttrWindowCoveringLiftPercentage  AttributeID = 0x0008
	AttrThermostatLocalTemperature    AttributeID = 0x0000
	AttrThermostatOccupiedCooling     AttributeID = 0x0011
	AttrThermostatOccupiedHeating     AttributeID = 0x0012
	AttrThermostatSystemMode          AttributeID = 0x001C
	AttrFanMode                       AttributeID = 0x0000
	AttrMeasuredValue                 AttributeID = 0x0000 // illuminance, temperature, pressure, humidity...
	AttrMinMeasuredValue              AttributeID = 0x0001
	AttrMaxMeasuredValue              AttributeID = 0x0002
	AttrOccupancy                     AttributeID = 0x0000
	AttrIASZoneState                  AttributeID = 0x0000
	AttrIASZoneType                   AttributeID = 0x0001
	AttrIASZoneStatus                 AttributeID = 0x0002
	AttrIASCIEAddress                 AttributeID = 0x0010
	AttrIASZoneID                     AttributeID = 0x0011
	AttrMeteringCurrentSummDelivered  AttributeID = 0x0000 // uint48
	AttrMeteringUnitOfMeasure         AttributeID = 0x0300
	AttrMeteringMultiplier            AttributeID = 0x0301
	AttrMeteringDivisor               AttributeID = 0x0302
	AttrMeteringSummationFormatting   AttributeID = 0x0303
	AttrMeteringDeviceType            AttributeID = 0x0306
	AttrMeteringInstantaneousDemand   AttributeID = 0x0400 // int24
	AttrElectricalMeasurementType     AttributeID = 0x0000
	AttrElectricalRMSVoltage          AttributeID = 0x0505
	AttrElectricalRMSCurrent          AttributeID = 0x0508
	AttrElectricalActivePower         AttributeID = 0x050B
	AttrElectricalACVoltageMultiplier AttributeID = 0x0600
	AttrElectricalACVoltageDivisor    AttributeID = 0x0601
	AttrElectricalACCurrentMultiplier AttributeID = 0x0602
	AttrElectricalACCurrentDivisor    AttributeID = 0x0603
	AttrElectricalACPowerMultiplier   AttributeID = 0x0604
	AttrElectricalACPowerDivisor      AttributeID = 0x0605
)

// Cluster-specific command ids, client to server unless noted.
const (
	CmdBasicResetToFactoryDefaults CommandID = 0x00

	CmdIdentify              CommandID = 0x00
	CmdIdentifyQuery         CommandID = 0x01
	CmdIdentifyTriggerEffect CommandID = 0x40
	CmdIdentifyQueryResponse CommandID = 0x00 // server→client

	CmdGroupsAdd               CommandID = 0x00
	CmdGroupsView              CommandID = 0x01
	CmdGroupsGetMembership     CommandID = 0x02
	CmdGroupsRemove            CommandID = 0x03
	CmdGroupsRemoveAll         CommandID = 0x04
	CmdGroupsAddIfIdentifying  CommandID = 0x05
	CmdGroupsAddResponse       CommandID = 0x00 // server→client
	CmdGroupsViewResponse      CommandID = 0x01 // server→client
	CmdGroupsGetMembershipResp CommandID = 0x02 // server→client
	CmdGroupsRemoveResponse    CommandID = 0x03 // server→client

	CmdScenesAdd                CommandID = 0x00
	CmdScenesView               CommandID = 0x01
	CmdScenesRemove             CommandID = 0x02
	CmdScenesRemoveAll          CommandID = 0x03
	CmdScenesStore              CommandID = 0x04
	CmdScenesRecall             CommandID = 0x05
	CmdScenesGetSceneMembership CommandID = 0x06

	CmdOff                     CommandID = 0x00
	CmdOn                      CommandID = 0x01
	CmdToggle                  CommandID = 0x02
	CmdOffWithEffect           CommandID = 0x40
	CmdOnWithRecallGlobalScene CommandID = 0x41
	CmdOnWithTimedOff          CommandID = 0x42

	CmdMoveToLevel          CommandID = 0x00
	CmdMove                 CommandID = 0x01
	CmdStep                 CommandID = 0x02
	CmdStop                 CommandID = 0x03
	CmdMoveToLevelWithOnOff CommandID = 0x04
	CmdMoveWithOnOff        CommandID = 0x05
	CmdStepWithOnOff        CommandID = 0x06
	CmdStopWithOnOff        CommandID = 0x07

	CmdMoveToHue               CommandID = 0x00
	CmdMoveHue                 CommandID = 0x01
	CmdStepHue                 CommandID = 0x02
	CmdMoveToSaturation        CommandID = 0x03
	CmdMoveSaturation          CommandID = 0x04
	CmdStepSaturation          CommandID = 0x05
	CmdMoveToHueAndSaturation  CommandID = 0x06
	CmdMoveToColor             CommandID = 0x07
	CmdMoveColor               CommandID = 0x08
	CmdStepColor               CommandID = 0x09
	CmdMoveToColorTemp         CommandID = 0x0A
	CmdEnhancedMoveToHue       CommandID = 0x40
	CmdEnhancedMoveHue         CommandID = 0x41
	CmdEnhancedStepHue         CommandID = 0x42
	CmdEnhancedMoveToHueAndSat CommandID = 0x43
	CmdColorLoopSet            CommandID = 0x44
	CmdStopMoveStep            CommandID = 0x47
	CmdMoveColorTemp           CommandID = 0x4B
	CmdStepColorTemp           CommandID = 0x4C

	CmdPollCheckIn              CommandID = 0x00 // server→client
	CmdPollCheckInResponse      CommandID = 0x00
	CmdPollFastPollStop         CommandID = 0x01
	CmdPollSetLongPollInterval  CommandID = 0x02
	CmdPollSetShortPollInterval CommandID = 0x03

	CmdLockDoor               CommandID = 0x00
	CmdUnlockDoor             CommandID = 0x01
	CmdToggleDoor             CommandID = 0x02
	CmdUnlockWithTimeout      CommandID = 0x03
	CmdLockDoorResponse       CommandID = 0x00 // server→client
	CmdUnlockDoorResponse     CommandID = 0x01 // server→client
	CmdDoorLockOperationEvent CommandID = 0x20 // server→client

	CmdWindowCoveringUpOpen        CommandID = 0x00
	CmdWindowCoveringDownClose     CommandID = 0x01
	CmdWindowCoveringStop          CommandID = 0x02
	CmdWindowCoveringGoToLiftValue CommandID = 0x04
	CmdWindowCoveringGoToLiftPct   CommandID = 0x05
	CmdWindowCoveringGoToTiltValue CommandID = 0x07
	CmdWindowCoveringGoToTiltPct   CommandID = 0x08

	CmdThermostatSetpointRaiseLower CommandID = 0x00

	CmdZoneEnrollResponse           CommandID = 0x00
	CmdZoneInitNormalOpMode         CommandID = 0x01
	CmdZoneInitTestMode             CommandID = 0x02
	CmdZoneStatusChangeNotification CommandID = 0x00 // server→client
	CmdZoneEnrollRequest            CommandID = 0x01 // server→client

	CmdOTAImageNotify            CommandID = 0x00 // server→client
	CmdOTAQueryNextImageRequest  CommandID = 0x01
	CmdOTAQueryNextImageResponse CommandID = 0x02 // server→client
	CmdOTAImageBlockRequest      CommandID = 0x03
	CmdOTAImagePageRequest       CommandID = 0x04
	CmdOTAImageBlockResponse     CommandID = 0x05 // server→client
	CmdOTAUpgradeEndRequest      CommandID = 0x06
	CmdOTAUpgradeEndResponse     CommandID = 0x07 // server→client
)
