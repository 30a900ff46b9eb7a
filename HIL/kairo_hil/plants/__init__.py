"""Hand-written numpy plant models: vehicle, PMSM + inverter, DC link, battery pack, sensors."""
